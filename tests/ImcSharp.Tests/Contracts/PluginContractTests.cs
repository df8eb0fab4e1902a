using ImcSharp.Config;
using ImcSharp.Converters;
using ImcSharp.Cost;
using ImcSharp.Crossbar;
using ImcSharp.Memory;
using ImcSharp.Models;
using ImcSharp.Nn;
using static TorchSharp.torch;

namespace ImcSharp.Tests.Contracts;

/// <summary>
/// Every plug-in ImcSharp ships, in every registry (ADC architectures, cells, array modes, array
/// solvers, models, ONNX operators), keeps the same contract: its config reads back as written, it
/// is priced, it runs a forward on a tiny layer, and its reference implementation (torch
/// operations) and fused one (the CPU kernels) give the same numbers.
/// </summary>
public class PluginContractTests
{
    static IEnumerable<T> Shipped<T>(Registry<T> registry) where T : class =>
        registry.Items.Where(p => p.GetType().Assembly == typeof(Registry<>).Assembly);

    static readonly Lazy<string> Population = new(() =>
    {
        var ideal = AdcModels.Ideal(5).unsqueeze(0);
        using var pop = new AdcPopulation(5, cat(new[] { ideal + 0.3, ideal - 0.2 }, 0), new[] { 0, 1 }, new[] { "fast", "slow" });
        var path = Path.Combine(Synthetic.TempDir(), "contract.population.json");
        PopulationFile.Save(path, pop, "contract test");
        return path;
    });

    /// <summary>
    /// A small design: 32-row tiles, 4-bit weights on 2-bit cells (1-bit where the cell stores one:
    /// SRAM), 4-bit DAC inputs, 5-bit converters (1 bit for a sense amplifier).
    /// </summary>
    static LayerHardware Design(string cell, string mode, AdcConfig adc, string solver = ArraySolver.FirstOrder)
    {
        var kind = AdcKinds.Get(adc.Kind);
        return new LayerHardware
        {
            Core = new CoreConfig
            {
                Rows = 32, Columns = 32, WeightBits = 4, BitsPerCell = cell == "sram" ? 1 : 2, InputBits = 4, InputMode = InputMode.Dac,
                Subtract = kind.IsUnipolar || adc.Kind == PopulationArchitecture.Name ? Subtraction.Digital : Subtraction.Analog,
            },
            Cell = new CellConfig { Kind = cell },
            // Wires for a circuit solver (nodal analysis needs them); none for the first-order one, as shipped.
            Array = new ArrayConfig { Mode = mode, Solver = solver, WireResistance = solver == ArraySolver.FirstOrder ? 0 : 1 },
            Adc = adc,
        }.Validated("contract design");
    }

    static AdcConfig Adc(string kind)
    {
        var adc = new AdcConfig
        {
            Kind = kind, Bits = kind == "sense-amp" ? 1 : 5, Range = new AdcRange { Mode = AdcRangeMode.Auto, Fraction = 0.5 },
        };
        return kind == PopulationArchitecture.Name ? adc.With(new PopulationFiles { File = Population.Value }) : adc;
    }

    /// <summary>A forward on a tiny layer (70 inputs over three tiles, 6 outputs), torch path against the kernels: finite, the same.</summary>
    static void ForwardBothWays(LayerHardware hw, string what)
    {
        using var scope = NewDisposeScope();
        var (wq, scale) = WeightSlicing.Quantize(randn(new long[] { 6, 70 }, generator: new Generator(4)), hw.Core.WeightBits);
        var xq = randint(0, 16, new long[] { 9, 70 }, generator: new Generator(5)).to_type(ScalarType.Float32);
        var y = new Tensor[2];
        for (int k = 0; k < 2; k++)
        {
            using var chip = new ProgrammedLayer(wq, scale, hw, 3, target: k == 0 ? ComputeTarget.Cpu : ComputeTarget.Reference);
            OffsetTrim.Apply(chip);
            y[k] = AnalogMvm.Forward(chip, xq, false).MoveToOuterDisposeScope();
        }
        Assert.True(y[0].isfinite().all().item<bool>(), $"{what}: a non-finite output");
        Assert.True(TensorAssert.Same(y[0], y[1]), $"{what}: the fused path differs from the reference");
    }

    static void RoundTrips(LayerHardware hw, string what)
    {
        var json = ImcSharp.IO.Json.Serialize(hw);
        var back = System.Text.Json.JsonSerializer.Deserialize<LayerHardware>(json, ImcSharp.IO.Json.Strict)!;
        Assert.True(hw == back, $"{what}: the config does not read back as written");
        Assert.Equal(json, ImcSharp.IO.Json.Serialize(back));
    }

    static void Priced(LayerHardware hw, string what)
    {
        var cost = CoreCostModel.Analog("fc", 70, 6, 1, hw, new CostConfig());
        Assert.True(cost.Energy.Total > 0 && double.IsFinite(cost.Energy.Total), $"{what}: energy {cost.Energy.Total}");
        Assert.True(cost.Area.Total > 0 && double.IsFinite(cost.Area.Total), $"{what}: area {cost.Area.Total}");
    }

    public static IEnumerable<object[]> AdcKindNames() => Shipped(AdcKinds.All).Select(k => new object[] { k.Kind });

    [Theory]
    [MemberData(nameof(AdcKindNames))]
    public void EveryAdcArchitectureKeepsTheContract(string kind)
    {
        var hw = Design("ideal", ArrayMode.Current, Adc(kind));
        RoundTrips(hw, kind);
        var price = AdcCostModel.Price(hw.Adc, 1e8, 32, 0.9);
        Assert.True(price.EnergyPerConversion > 0 && price.Area > 0, $"{kind}: priced {price}");
        Priced(hw, kind);
        ForwardBothWays(hw, kind);
    }

    public static IEnumerable<object[]> CellsAndModes() =>
        from cell in Shipped(CellKinds.All)
        from mode in Shipped(ArrayModes.All)
        where cell.WorksIn(mode.Mode)
        select new object[] { cell.Kind, mode.Mode };

    [Theory]
    [MemberData(nameof(CellsAndModes))]
    public void EveryCellInEveryArrayModeItSumsInKeepsTheContract(string cell, string mode)
    {
        var hw = Design(cell, mode, Adc("sar"));
        RoundTrips(hw, $"{cell} in {mode} mode");
        Priced(hw, $"{cell} in {mode} mode");
        ForwardBothWays(hw, $"{cell} in {mode} mode");
    }

    [Fact]
    public void EveryArrayModeHasACellAndEveryCellAMode()
    {
        foreach (var mode in Shipped(ArrayModes.All))
            Assert.Contains(Shipped(CellKinds.All), c => c.WorksIn(mode.Mode));
        foreach (var cell in Shipped(CellKinds.All))
            Assert.Contains(Shipped(ArrayModes.All), m => cell.WorksIn(m.Mode));
    }

    public static IEnumerable<object[]> SolverNames() => Shipped(ArraySolvers.All).Select(s => new object[] { s.Solver });

    [Theory]
    [MemberData(nameof(SolverNames))]
    public void EveryArraySolverKeepsTheContract(string solver)
    {
        var hw = Design("rram", ArrayMode.Current, Adc("ideal"), solver);
        RoundTrips(hw, solver);
        Priced(hw, solver);
        ForwardBothWays(hw, solver);
        Assert.IsAssignableFrom<IArrayStage>(ArraySolvers.Of(hw.Array));
    }

    public static IEnumerable<object[]> ModelNames() => Shipped(ModelKinds.All).Select(m => new object[] { m.Name });

    /// <summary>Every model builds for its input, runs, converts to analog layers and is priced.</summary>
    [Theory]
    [MemberData(nameof(ModelNames))]
    public void EveryModelBuildsConvertsAndIsPriced(string name)
    {
        using var scope = NewDisposeScope();
        manual_seed(2);
        var spec = new ModelSpec(name, 3, 32, 32, 10);
        using var model = spec.Build();
        model.eval();
        using (no_grad()) Assert.Equal(new long[] { 2, 10 }, model.call(randn(2, 3, 32, 32)).shape);
        var hw = HardwareConfig.Load(Repo.Path("configs/ideal-exact.json"));
        AnalogConversion.Convert(model, hw);
        Assert.NotEmpty(AnalogConversion.Layers(model));
        Assert.Equal(name, ModelSpec.Canonical(name.ToUpperInvariant()));
        var cost = CoreCostModel.Price(name, LayerShapes.Of(spec), hw);
        Assert.True(cost.EnergyPerInferenceJ > 0 && cost.AreaMm2 > 0, $"{name}: {cost.EnergyPerInferenceJ} J, {cost.AreaMm2} mm2");
    }

    /// <summary>Every ONNX operator is found by its exact op_type only, and the importer lists exactly the registered ones.</summary>
    [Fact]
    public void EveryOnnxOperatorIsFoundByItsExactName()
    {
        var ops = Shipped(OnnxOperators.All).ToList();
        Assert.True(ops.Count >= 30, $"{ops.Count} operators");
        foreach (var op in ops)
        {
            Assert.True(OnnxOperators.TryGet(op.OpType, out var found) && ReferenceEquals(found, op), op.OpType);
            Assert.False(OnnxOperators.TryGet(op.OpType.ToLowerInvariant(), out _) && op.OpType != op.OpType.ToLowerInvariant(), op.OpType);
        }
        Assert.Equal(OnnxNetwork.Supported, OnnxOperators.All.Names);
    }
}
