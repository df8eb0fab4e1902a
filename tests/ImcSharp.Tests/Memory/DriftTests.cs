using ImcSharp.Config;
using ImcSharp.Memory;
using TorchSharp;
using static TorchSharp.torch;

namespace ImcSharp.Tests.Memory;

/// <summary>Conductance drift G(t) = G(t0) (t/t0)^-nu: what a programmed chip shows is what was configured.</summary>
public class DriftTests
{
    static readonly CellConfig Drifting = new()
    {
        Kind = CellKind.Rram, GMin = 1e-6, GMax = 5e-5, ProgrammingSigma = 0.02, ProgrammingSigmaAtGmin = 0.01,
        DriftNu = 0.06, DriftNuSigma = 0.015,
    };

    static Tensor Digits() => randint(0, 4, new long[] { 200, 500 }, generator: new Generator(3)).to_type(ScalarType.Float32);

    static CellState Program(CellConfig cell, ComputeTarget? target = null) =>
        CellModels.Program(cell, 4, Digits(), new Generator(11), target);

    /// <summary>
    /// The exponent each cell shows between t0 and 10^6 t0, -ln(G(t)/G(t0)) / ln(t/t0), has the configured
    /// mean and spread (100,000 cells: the mean within 3 standard errors, the spread within 3%).
    /// </summary>
    [Fact]
    public void TheMeasuredDriftExponentsHaveTheConfiguredMeanAndSpread()
    {
        using var scope = NewDisposeScope();
        double t = 20e6;
        var fresh = Program(Drifting).Conductance!.to_type(ScalarType.Float64);
        var aged = Program(Drifting with { ReadTime = t }).Conductance!.to_type(ScalarType.Float64);
        // Cells whose programming error clipped them at 0 S have no exponent to show.
        var conducting = fresh.gt(0);
        var nu = (aged.masked_select(conducting) / fresh.masked_select(conducting)).log().neg().div(Math.Log(t / 20));
        Assert.True(nu.numel() > 95_000, $"{nu.numel()} conducting cells");
        double mean = nu.mean().item<double>(), sd = nu.std().item<double>();
        Assert.True(Math.Abs(mean - 0.06) < 3 * 0.015 / Math.Sqrt(nu.numel()), $"mean nu {mean}");
        Assert.True(Math.Abs(sd / 0.015 - 1) < 0.03, $"sd of nu {sd}");
        // Every cell loses conductance with time; the levels follow the conductances.
        Assert.True(aged.le(fresh).all().item<bool>());
        var state = Program(Drifting with { ReadTime = t });
        var dG = (Drifting.GMax - Drifting.GMin) / 3;
        Assert.True(allclose(state.Contribution, (state.Conductance! - Drifting.GMin) / dG, rtol: 1e-6, atol: 1e-6));
    }

    /// <summary>At t0 a drifting chip is the chip without drift (drift draws come after the programming draws).</summary>
    [Fact]
    public void AtTheReferenceTimeNothingHasDrifted()
    {
        using var scope = NewDisposeScope();
        var plain = Program(Drifting with { DriftNu = 0, DriftNuSigma = 0 });
        var atT0 = Program(Drifting with { ReadTime = 20 });
        Assert.True(plain.Conductance!.equal(atT0.Conductance!).all().item<bool>());
        Assert.True(plain.Contribution.equal(atT0.Contribution).all().item<bool>());
    }

    /// <summary>The fused programming pass and the reference drift the same cells the same way, bit for bit.</summary>
    [Fact]
    public void FusedAndReferenceDriftAlike()
    {
        using var scope = NewDisposeScope();
        var aged = Drifting with { ReadTime = 3.15e7 };
        var fused = Program(aged, ComputeTarget.Cpu);
        var reference = Program(aged, ComputeTarget.Reference);
        Assert.True(TensorAssert.Same(fused.Conductance!, reference.Conductance!));
        Assert.True(TensorAssert.Same(fused.Contribution, reference.Contribution));
    }

    [Fact]
    public void ANegativeReadTimeIsRefusedAndOneBeforeTheReferenceTimeReadsAsProgrammed()
    {
        var e = new ConfigErrors();
        (Drifting with { ReadTime = -5 }).Validate(e, "cell.", new CoreConfig());
        Assert.Contains(e.Errors, m => m.StartsWith("cell.read_time = -5"));
        using var scope = NewDisposeScope();
        Assert.True(Program(Drifting with { ReadTime = 5 }).Conductance!.equal(Program(Drifting).Conductance!).all()
            .item<bool>());
    }

    [Fact]
    public void ReadTimesAreParsedWithTheirUnits()
    {
        var times = ImcSharp.Evaluation.ReadTimes.Parse("1s,1h,1d,1mo,1y,10y,90,5min");
        Assert.Equal(new[] { 1, 3600, 86400, 2_629_800, 31_557_600, 315_576_000, 90, 300.0 }, times.Select(t => t.Seconds));
        Assert.Equal("1mo", times[3].Label);
        var e = Assert.Throws<ImcInputException>(() => ImcSharp.Evaluation.ReadTimes.Parse("1h,2weeks"));
        Assert.Contains("'2weeks' is not a time", e.Message);
    }
}
