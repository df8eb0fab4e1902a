using System.Text.Json;
using ImcSharp.Config;
using ImcSharp.Crossbar;
using ImcSharp.Memory;
using TorchSharp;
using static TorchSharp.torch;

namespace ImcSharp.Tests.Config;

/// <summary>Cell technologies and array modes are plug-ins: one class, registered by name, read from JSON by its kind.</summary>
public class PluginModelTests
{
    /// <summary>A technology defined outside ImcSharp with its own parameter record: a FeFET-like cell, contribution d (1 + sigma eps) with a minimum level.</summary>
    sealed record FefetParameters
    {
        public double Sigma { get; init; } = 0.03;
        public double OffLevel { get; init; }
    }

    sealed class FefetCell : CellTechnology
    {
        public override string Kind => "test-fefet";
        public override bool WorksIn(string mode) => mode == ArrayMode.Current;
        static FefetParameters P(CellConfig c) => c.Parameters?.Deserialize<FefetParameters>(ImcSharp.IO.Json.Strict) ?? new();

        public override void Validate(CellConfig cell, ConfigErrors e, string at, CoreConfig core)
        {
            FefetParameters p;
            try { p = P(cell); }
            catch (JsonException x) { e.Add(at + "parameters", "(object)", ImcSharp.IO.Json.Explain(x.Message)); return; }
            e.Sigma(at + "parameters.sigma", p.Sigma);
        }

        public override CellState Program(CellConfig cell, int levels, Tensor digits, Generator gen)
        {
            var p = P(cell);
            return new CellState(digits * (randn(digits.shape, generator: gen) * p.Sigma + 1), p.OffLevel, null, null, null);
        }
    }

    static readonly Lazy<bool> Registered = new(() => { CellKinds.All.Register(new FefetCell()); return true; });

    [Fact]
    public void ARegisteredCellTechnologyReadsItsOwnParametersAndPrograms()
    {
        Assert.True(Registered.Value);
        Assert.Contains("test-fefet", CellKinds.All.Names);
        var hw = HardwareConfig.Parse("""
            { "name": "fefet", "core": { "rows": 64, "columns": 64, "weight_bits": 4, "bits_per_cell": 2 },
              "cell": { "kind": "test-fefet", "parameters": { "sigma": 0.1 } },
              "adc": { "kind": "ideal", "bits": 8 } }
            """);
        Assert.Equal("test-fefet", hw.Cell.Kind);
        using var scope = NewDisposeScope();
        var state = CellModels.Program(hw.Cell, 4, full(new long[] { 200, 100 }, 2f), new Generator(1));
        Assert.InRange(state.Contribution.mean().item<float>(), 1.98, 2.02);
        Assert.InRange(state.Contribution.std().item<float>(), 0.19, 0.21);
        // The generic parts apply: signal unit and price come from the array mode and the technology's defaults.
        Assert.Equal("A", ArrayPhysics.SignalUnit(hw.Defaults).Quantity);
        Assert.Equal(30, ImcSharp.Cost.CoreCostModel.CellAreaF2(hw.Cell, hw.Cost));
        // Its own checks run, on its own block.
        var e = Assert.Throws<ImcInputException>(() => HardwareConfig.Parse("""
            { "core": { "rows": 64, "columns": 64 }, "cell": { "kind": "test-fefet", "parameters": { "sigma": -1 } } }
            """));
        Assert.Contains("cell.parameters.sigma", e.Message);
        // ... and a cell that cannot sum in charge mode is refused there.
        e = Assert.Throws<ImcInputException>(() => HardwareConfig.Parse("""
            { "core": { "rows": 64, "columns": 64 }, "cell": { "kind": "test-fefet" }, "array": { "mode": "charge" } }
            """));
        Assert.Contains("do not sum in charge mode", e.Message);
    }

    [Fact]
    public void UnknownKindsNameTheRegisteredOnes()
    {
        var e = Assert.Throws<ImcInputException>(() => HardwareConfig.Parse("""{ "cell": { "kind": "pcm" } }"""));
        Assert.Contains("cell.kind", e.Message);
        Assert.Contains("rram", e.Message);
        e = Assert.Throws<ImcInputException>(() => HardwareConfig.Parse("""{ "array": { "mode": "photonic" } }"""));
        Assert.Contains("array.mode", e.Message);
        Assert.Contains("charge", e.Message);
        Assert.Equal(new[] { "charge", "current" }, ArrayModes.All.Names);
        Assert.IsType<ChargeMode>(ArrayModel.Of(new ArrayConfig { Mode = "Charge" }));
    }
}
