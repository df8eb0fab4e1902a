using ImcSharp.Config;
using ImcSharp.Converters;
using ImcSharp.Crossbar;
using TorchSharp;
using static TorchSharp.torch;

namespace ImcSharp.Tests.Converters;

public class AdcModelTests
{
    [Fact]
    public void CodeDensityRecoversAKnownPatternWithin005Lsb()
    {
        using var scope = NewDisposeScope();
        int bits = 6;
        var k = arange(1, 64, ScalarType.Float64);
        // A smooth bow (INL) plus a fixed jagged pattern (DNL), and one missing code.
        var t = k - 0.5 + 0.8 * (k * (Math.PI / 63)).sin() + 0.25 * (k * 2.1).sin();
        t[20] = t[19].item<double>();
        var pop = new AdcPopulation(bits, stack(new[] { t, t + 0.3 }));
        var lin = Characterization.Measure(pop);
        Assert.True((lin.Thresholds - pop.Thresholds).abs().max().item<double>() < 0.05);
        // DNL of inner codes against the configured widths (IEEE: over the mean inner width).
        var widths = t.narrow(0, 1, 62) - t.narrow(0, 0, 62);
        var dnl = widths / widths.mean() - 1;
        Assert.True((lin.Dnl[0].narrow(0, 1, 62) - dnl).abs().max().item<double>() < 0.05);
        Assert.Equal(1L, lin.MissingCodes[0].item<long>());
        Assert.Equal(0.3, (lin.OffsetError[1] - lin.OffsetError[0]).item<double>(), 2);
    }

    [Fact]
    public void IdealPopulationHasZeroErrorsAndFullEnob()
    {
        using var scope = NewDisposeScope();
        var pop = AdcPopulation.Generate(new AdcConfig { Kind = "ideal", Bits = 7 }, 1, 4, 1);
        var lin = Characterization.Measure(pop);
        Assert.True(lin.InlEndPoint.abs().max().item<double>() < 0.01);
        Assert.True(lin.Dnl.abs().max().item<double>() < 0.01);
        Assert.InRange(lin.Enob.mean().item<double>(), 6.9, 7.1);
    }

    [Fact]
    public void SarMismatchIsWorstAtTheMidScaleCarry()
    {
        using var scope = NewDisposeScope();
        var cfg = new AdcConfig { Kind = "sar", Bits = 6 }.With(new SarParams { UnitCapSigma = 0.05, ComparatorOffsetSigma = 0 });
        var pop = AdcPopulation.Generate(cfg, 1, 2000, 3);
        var t = pop.Thresholds;
        var dnl = t.narrow(1, 1, 62) - t.narrow(1, 0, 62) - 1;          // code widths of codes 1..62
        var spread = dnl.std(new long[] { 0 });
        Assert.Equal(31, spread.argmax().item<long>() + 1);              // code 31 -> 32: the MSB carry
        // Next-largest spreads sit at the quarter-scale carries (codes 15 and 47).
        var order = spread.argsort(descending: true).narrow(0, 0, 3).data<long>().Select(i => i + 1).OrderBy(i => i).ToArray();
        Assert.Equal(new long[] { 15, 31, 47 }, order);
    }

    [Fact]
    public void FlashThresholdErrorsAreIndependentWithTheConfiguredSigma()
    {
        using var scope = NewDisposeScope();
        var cfg = new AdcConfig { Kind = "flash", Bits = 5 }.With(new FlashParams { ComparatorSigma = 0.3 });
        var pop = AdcPopulation.Generate(cfg, 1, 4000, 5);
        var err = pop.Thresholds - AdcModels.Ideal(5).unsqueeze(0);
        Assert.Equal(0.3, err.std().item<double>(), 2);
        var a = err.narrow(1, 0, 30).flatten();
        var b = err.narrow(1, 1, 30).flatten();
        var r = ((a - a.mean()) * (b - b.mean())).mean() / (a.std() * b.std());
        Assert.InRange(r.item<double>(), -0.03, 0.03);
    }

    [Fact]
    public void RcRampGivesASmoothCompressiveInl()
    {
        using var scope = NewDisposeScope();
        var cfg = new AdcConfig { Kind = "ramp", Bits = 6 }.With(new RampParams { RcTau = 1.0, TauSigmaGlobal = 0, ComparatorOffsetSigma = 0 });
        var pop = AdcPopulation.Generate(cfg, 1, 1, 1);
        var inl = Characterization.Measure(pop).InlEndPoint[0];
        Assert.True(inl.narrow(0, 1, 61).min().item<double>() > 0, "RC ramp: thresholds bow above the end-point line");
        int peak = (int)inl.argmax().item<long>();
        Assert.InRange(peak, 20, 42);                                     // bow peaks mid-range
        var second = inl.narrow(0, 2, 61) - 2 * inl.narrow(0, 1, 61) + inl.narrow(0, 0, 61);
        Assert.True(second.abs().max().item<double>() < 0.05, "smooth: small second difference");
    }

    [Fact]
    public void CcoSpreadFollowsItsParameters()
    {
        using var scope = NewDisposeScope();
        var osc = new OscillatorParams { FMax = 1e15, F0SigmaLocal = 0.02, KSigmaLocal = 0.03, F0SigmaGlobal = 0, KSigmaGlobal = 0 };
        var cfg = new AdcConfig { Kind = "cco", Bits = 7 }.With(osc);
        var pop = AdcPopulation.Generate(cfg, 1, 4000, 9);
        double lsb = osc.FullScale / 127;
        foreach (int k in new[] { 10, 40, 100 })
        {
            var tk = pop.Thresholds.select(1, k - 1);
            double nominal = (k - 0.5) / (osc.K * osc.Window * lsb);
            // x_k = ((k - 1/2)/W + F0 - f0)/K: sigma^2 = (x_k sigma_K)^2 + (F0 sigma_f0 / (K lsb))^2
            double expected = Math.Sqrt(Math.Pow(nominal * 0.03, 2) + Math.Pow(osc.F0 * 0.02 / (osc.K * lsb), 2));
            Assert.InRange(tk.std().item<double>() / expected, 0.93, 1.07);
        }
        // Relative spread falls with input.
        var rel = pop.Thresholds.std(new long[] { 0 }) / pop.Thresholds.mean(new long[] { 0 });
        Assert.True(rel[9].item<double>() > rel[39].item<double>() && rel[39].item<double>() > rel[99].item<double>());
    }

    [Fact]
    public void CcoSaturationLeavesTopCodesUnreached()
    {
        using var scope = NewDisposeScope();
        var cfg = new AdcConfig { Kind = "cco", Bits = 7 }.With(new OscillatorParams { FMax = 100e6 });
        var pop = AdcPopulation.Generate(cfg, 1, 2, 1);
        Assert.True(pop.Thresholds[0, 126].item<double>() == double.PositiveInfinity);
        var lin = Characterization.Measure(pop);
        Assert.True(lin.InlEndPoint.abs().max().item<double>() > 1);
    }

    [Fact]
    public void CalibrationReducesTheResidualError()
    {
        using var scope = NewDisposeScope();
        var cfg = new AdcConfig
        {
            Kind = "sar", Bits = 6,
            Variation = new AdcVariation { GainSigmaLocal = 0.05 },
        }.With(new SarParams { UnitCapSigma = 0.03, ComparatorOffsetSigma = 0.5 });
        var pop = AdcPopulation.Generate(cfg, 1, 200, 2);
        // Input uniform over the range; error = level of the code minus the input (LSB).
        var x = (rand(new long[] { 200, 20000 }, ScalarType.Float64) * 50 + 5);     // inside every instance's range
        var codes = pop.Convert(x);
        double Rms(Tensor levels) => (levels.gather(1, codes) - x).square().mean().sqrt().item<double>();
        double raw = Rms(Calibration.Levels(pop.Thresholds, CalibrationKind.None));
        double two = Rms(Calibration.Levels(pop.Thresholds, CalibrationKind.TwoPoint));
        double lut = Rms(Calibration.Levels(pop.Thresholds, CalibrationKind.Lut));
        Assert.True(raw > two && two > lut, $"rms error raw {raw}, two-point {two}, lut {lut}");
        Assert.True(lut < 0.4, $"lut rms {lut}: should be near quantization noise (~0.3 LSB)");                                  // quantization noise ~ 1/sqrt(12) of a code width
        Assert.True(Calibration.Cost(CalibrationKind.Lut, 6).StorageBitsPerAdc > Calibration.Cost(CalibrationKind.TwoPoint, 6).StorageBitsPerAdc);
    }

    [Fact]
    public void ThresholdBankWithIdealThresholdsEqualsTheIdealQuantizer()
    {
        using var scope = NewDisposeScope();
        manual_seed(1);
        var hw = new LayerHardware
        {
            Core = new CoreConfig { Rows = 64, Columns = 64, WeightBits = 8, BitsPerCell = 1, InputBits = 8, InputMode = InputMode.BitSerial },
            Adc = new AdcConfig { Bits = 5 },
        };
        var (wq, ws) = WeightSlicing.Quantize(randn(20, 100), 8);
        var xq = InputEncoding.Quantize(rand(30, 100), 1.0 / 255, 8, false);
        using var ideal = new ProgrammedLayer(wq, ws, hw, 1);
        using var table = new ProgrammedLayer(wq, ws, hw with { Adc = (hw.Adc with { Kind = "flash" }).With(new FlashParams { ComparatorSigma = 0 }) }, 1);
        Assert.IsType<ThresholdAdc>(table.Adc);
        Assert.True(TensorAssert.Same(AnalogMvm.Forward(ideal, xq, false), AnalogMvm.Forward(table, xq, false)));
        using var noisy = new ProgrammedLayer(wq, ws, hw with { Adc = (hw.Adc with { Kind = "flash" }).With(new FlashParams { ComparatorSigma = 0.4 }) }, 1);
        Assert.False(TensorAssert.Same(AnalogMvm.Forward(ideal, xq, false), AnalogMvm.Forward(noisy, xq, false)));
    }

    [Fact]
    public void GlobalCornerIsSharedByAllLayersOfAChip()
    {
        using var scope = NewDisposeScope();
        var cfg = new AdcConfig { Kind = "ramp", Bits = 6 }.With(new RampParams { TauSigmaGlobal = 0.3, ComparatorOffsetSigma = 0 });
        Tensor Draw(ulong globalSeed, ulong localSeed)
        {
            using var g = new Generator(globalSeed);
            using var l = new Generator(localSeed);
            return AdcArchitecture.Thresholds(cfg, 2, g, l);
        }
        Assert.True(TensorAssert.Same(Draw(7, 1), Draw(7, 2)));         // same chip, other layer: same ramp
        Assert.False(TensorAssert.Same(Draw(7, 1), Draw(8, 1)));        // other chip: other ramp
    }
}
