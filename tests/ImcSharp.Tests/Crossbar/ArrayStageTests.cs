using ImcSharp.Config;
using ImcSharp.Crossbar;
using ImcSharp.Nn;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace ImcSharp.Tests.Crossbar;

/// <summary>
/// The array stage is a named setting (<c>array.solver</c>): a new solver is one class plus a
/// config value, and its partial sums reach the ADCs and the output.
/// </summary>
public class ArrayStageTests
{
    /// <summary>
    /// A toy solver, all a new one needs: the first-order sums scaled by an input-dependent droop
    /// 1 / (1 + a sum_r x_r), as a crude IR drop; it models current mode only.
    /// </summary>
    sealed class Droop : IArrayStage
    {
        public const double A = 0.001;
        public string Solver => "test-droop";
        int _calls;
        public int Calls => _calls;

        public void Validate(ArrayConfig array, CellConfig cell, ConfigErrors e, string at)
        {
            if (array.Mode != ArrayMode.Current) e.Add(at + "solver", Solver, "models current mode only");
        }

        public Tensor PartialSums(ProgrammedLayer layer, Tensor digits)
        {
            Interlocked.Increment(ref _calls);
            return FirstOrderArray.Instance.PartialSums(layer, digits).div(digits.sum(-1, keepdim: true).mul(A).add(1));
        }
    }

    /// <summary>A stage that only implements the matmul form: convolutions reach it unfolded (the interface's default).</summary>
    sealed class UnfoldOnly : IArrayStage
    {
        public string Solver => "test-unfold-only";
        public Tensor PartialSums(ProgrammedLayer layer, Tensor digits) => FirstOrderArray.Instance.PartialSums(layer, digits);
    }

    // Registered once per process (the registry is global; names are unique).
    static readonly Droop TheDroop = Registered(new Droop());
    static readonly UnfoldOnly TheUnfoldOnly = Registered(new UnfoldOnly());

    internal static T Registered<T>(T stage) where T : class, IArrayStage
    {
        if (ArraySolvers.All.TryGet(stage.Solver, out var known)) return (T)known;
        ArraySolvers.All.Register(stage);
        return stage;
    }

    [Fact]
    public void ASolverIsNamedInTheConfigAndCheckedThere()
    {
        _ = TheDroop;
        var json = File.ReadAllText(Repo.Path("configs/puma-reference.json"));
        var node = System.Text.Json.Nodes.JsonNode.Parse(json)!.AsObject();
        node["array"]!["solver"] = "test-droop";
        var cfg = HardwareConfig.Parse(node.ToJsonString(), "droop.json");
        Assert.IsType<Droop>(ArraySolvers.Of(cfg.Defaults.Array));
        // The default solver, named or not, is the design it was: the same fingerprint (cached results stay valid).
        var plain = HardwareConfig.Parse(json, "puma.json");
        node["array"]!["solver"] = "first-order";
        Assert.Equal(plain.Fingerprint(), HardwareConfig.Parse(node.ToJsonString(), "named.json").Fingerprint());
        Assert.NotEqual(plain.Fingerprint(), cfg.Fingerprint());
        node["array"]!["solver"] = "spice";
        var unknown = Assert.Throws<ImcInputException>(() => HardwareConfig.Parse(node.ToJsonString(), "spice.json"));
        Assert.Contains("array.solver", unknown.Message);
        Assert.Contains("first-order", unknown.Message);
        node["array"]!["solver"] = "test-droop";
        node["array"]!["mode"] = "charge";
        node["cell"] = new System.Text.Json.Nodes.JsonObject { ["kind"] = "capacitor" };
        var charge = Assert.Throws<ImcInputException>(() => HardwareConfig.Parse(node.ToJsonString(), "droop-charge.json"));
        Assert.Contains("models current mode only", charge.Message);
    }

    static AnalogLinear Layer(LayerHardware hw)
    {
        manual_seed(3);
        return new AnalogLinear("fc", new Parameter(randn(6, 40) * 0.1), new Parameter(zeros(6)), hw);
    }

    [Fact]
    public void AReplacedStageFeedsTheAdcsAndTheFirstOrderOneIsTheDefault()
    {
        using var scope = NewDisposeScope();
        // One tile, DAC inputs in one cycle, 8-bit single-slice weights, exact 16-bit ADC: the output is the integer matmul of what the stage returns.
        var hw = HardwareFixtures.Exact(WeightMapping.Differential, InputMode.Dac, bitsPerCell: 8, inputBits: 6) with
        {
            Core = new CoreConfig { Rows = 64, Columns = 64, WeightBits = 8, BitsPerCell = 8, InputBits = 6, InputMode = InputMode.Dac },
        };
        var x = rand(new long[] { 5, 40 }, generator: new Generator(2));
        var first = Layer(hw);
        first.CalibrateInput(x);
        var y1 = first.call(x);
        Assert.IsType<FirstOrderArray>(IArrayStage.Of(first.Chip!.Hardware.Array));

        var droopy = Layer(hw with { Array = hw.Array with { Solver = TheDroop.Solver } });
        droopy.CalibrateInput(x);
        int before = TheDroop.Calls;
        var y2 = droopy.call(x);
        Assert.Same(TheDroop, IArrayStage.Of(droopy.Chip!.Hardware.Array));
        Assert.True(TheDroop.Calls > before);
        // Per sample: y2 = y1 / (1 + a sum_r xq_r) up to the exact ADC's rounding of each partial sum (one LSB of the integer domain).
        var xq = InputEncoding.Quantize(x, first.InputScale, 6, false);
        var droop = xq.sum(1, keepdim: true).mul(Droop.A).add(1);
        var (_, weightScale) = WeightSlicing.Quantize(first.weight.detach(), 8);
        var lsb = first.InputScale * weightScale;
        Assert.True((y2 - y1 / droop).abs().max().item<float>() <= 0.6 * lsb, $"max deviation {(y2 - y1 / droop).abs().max().item<float>()} vs LSB {lsb}");
        Assert.False(allclose(y1, y2));
    }

    public static IEnumerable<object[]> ConvCases()
    {
        // Analog subtraction with read noise; digital subtraction with column offsets (charge); bit-serial; saturating columns with signed inputs.
        yield return new object[] { "experiments/hw/current-rram-cco.json", false, 1L, 1L };
        yield return new object[] { "experiments/hw/charge-cap-sar-realistic.json", false, 2L, 1L };
        yield return new object[] { "configs/puma-reference.json", false, 1L, 4L };
        yield return new object[] { "saturating", true, 1L, 1L };
    }

    /// <summary>
    /// One convolution per tile (the first-order stage's path) gives the partial sums and outputs of
    /// the unfolded input vectors on the same chip: same cells, same read-noise draws (up to float
    /// summation order), for strided, dilated, padded and grouped convolutions over several tiles.
    /// </summary>
    [Theory]
    [MemberData(nameof(ConvCases))]
    public void ConvolutionPerTileEqualsTheUnfoldedVectors(string design, bool signedInputs, long dilation, long groups)
    {
        using var scope = NewDisposeScope();
        LayerHardware hw;
        if (design == "saturating")
        {
            hw = HardwareConfig.Load(Repo.Path("experiments/hw/current-rram-cco-realistic.json")).Defaults;
            hw = hw with { Core = hw.Core with { Rows = 64 }, Array = hw.Array with { MaxColumnCurrent = 20e-6 } };
        }
        else hw = HardwareConfig.Load(Repo.Path(design)).Defaults;
        manual_seed(11);
        // 16 channels of 3x3 (144 rows) over 64- or 128-row tiles: tiles cut through channels.
        var w = randn(10 * groups, 16 / groups, 3, 3) * 0.2;
        var x = randn(5, 16, 9, 8);
        if (!signedInputs) x = x.relu();
        var sums = new List<Tensor>[2];
        var outs = new Tensor[2];
        for (int k = 0; k < 2; k++)
        {
            var stageHw = k == 1 ? hw with { Array = hw.Array with { Solver = TheUnfoldOnly.Solver } } : hw;
            var layer = new AnalogConv2d("conv", new Parameter(w.clone()), new Parameter(zeros(10 * groups)),
                new long[] { 2, 1 }, new long[] { 1, 2 }, new long[] { dilation, dilation }, stageHw, groups);
            layer.CalibrateInput(x);
            var seen = sums[k] = new List<Tensor>();
            layer.PartialSumProbe = (_, p) => seen.Add(p.clone().DetachFromDisposeScope());
            layer.Program(5);
            using (no_grad()) outs[k] = layer.call(x);
            Assert.True(layer.Chip!.Tiles > 1, "the case must span several tiles");
        }
        Assert.Equal(sums[1].Count, sums[0].Count);
        for (int i = 0; i < sums[0].Count; i++)
        {
            sums[0][i].MoveToOtherDisposeScope(scope); sums[1][i].MoveToOtherDisposeScope(scope);
            Assert.Equal(sums[1][i].shape, sums[0][i].shape);
            double scale = sums[1][i].abs().max().item<float>();
            Assert.True(scale > 1, "partial sums too small to be meaningful");
            Assert.True((sums[0][i] - sums[1][i]).abs().max().item<float>() <= 1e-5 * scale, "partial sums differ beyond float rounding");
        }
        // A partial sum within rounding of a threshold may take the neighbouring code: at most one element in a thousand.
        double differing = outs[0].ne(outs[1]).to_type(ScalarType.Float32).mean().item<float>();
        Assert.True(differing <= 1e-3, $"{differing:P3} of the outputs differ");
    }
}
