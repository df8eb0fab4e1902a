using ImcSharp.Config;
using ImcSharp.Converters;
using ImcSharp.Crossbar;
using TorchSharp;
using static TorchSharp.torch;

namespace ImcSharp.Tests.Crossbar;

/// <summary>Primer 7: where the subtraction happens, unipolar converters, and ADC ranges per slice.</summary>
public class SubtractionTests
{
    /// <summary>A 7-bit ADC whose every chip sits in one corner of -7% gain (thresholds T_k (1 - 0.07)).</summary>
    static LayerHardware Design(Subtraction subtract, AdcBias bias) =>
        HardwareFixtures.Exact(WeightMapping.Differential, InputMode.Dac, bitsPerCell: 2, inputBits: 4, subtract: subtract) with
        {
            Adc = new AdcConfig
            {
                Kind = "flash", Bits = 7, Bias = bias,
                Range = new AdcRange { Mode = AdcRangeMode.Exact }, Corners = new() { new AdcCorner { Name = "slow", Gain = -0.07 } },
            }.With(new FlashParams { ComparatorSigma = 0 }),
        };

    [Fact]
    public void MidScaleGainErrorBiasesEverySignedConversionButNotUnsignedOnes()
    {
        using var scope = NewDisposeScope();
        // Zero weights: every pair's difference is 0 whatever the input.
        var wq = zeros(4, 16);
        var xq = full(3, 16, 5f);
        using var analog = new ProgrammedLayer(wq, 1, Design(Subtraction.Analog, AdcBias.MidScale), 1, corner: 0);
        using var digital = new ProgrammedLayer(wq, 1, Design(Subtraction.Digital, AdcBias.None), 1, corner: 0);
        // Analog: 0 sits at mid-scale, where T_64 = 63.5 x 0.93 = 59.06 - 64 codes: the sum 0 reads as +5 codes (x slice weights 1 + 4 + 16 + 64 = 85).
        var ya = AnalogMvm.Forward(analog, xq, false);
        Assert.True(TensorAssert.Same(ya, full(3, 4, 5f * 85)), $"analog subtraction: {ya}");
        // Digital: both columns read 0 current, code 0, difference 0.
        var yd = AnalogMvm.Forward(digital, xq, false);
        Assert.True(TensorAssert.Same(yd, zeros(3, 4)), $"digital subtraction: {yd}");
        // A per-chip offset trim (zero-input self-test) removes the mid-scale error of the biased design.
        var trimmedHw = Design(Subtraction.Analog, AdcBias.MidScale) with { Adc = Design(Subtraction.Analog, AdcBias.MidScale).Adc with { OffsetTrim = true } };
        using var trimmed = new ProgrammedLayer(wq, 1, trimmedHw, 1, corner: 0);
        Assert.Null(trimmed.OutputOffset);          // measured by the engine, not by programming
        OffsetTrim.Apply(trimmed);
        Assert.True(TensorAssert.Same(trimmed.OutputOffset!, full(4, 5f * 85)));
        Assert.True(TensorAssert.Same(AnalogMvm.Forward(trimmed, xq, false), zeros(3, 4)));
        var cost = ImcSharp.Cost.CoreCostModel.Analog("fc", 16, 4, 1, trimmedHw, new CostConfig());
        var untrimmed = ImcSharp.Cost.CoreCostModel.Analog("fc", 16, 4, 1, Design(Subtraction.Analog, AdcBias.MidScale), new CostConfig());
        Assert.True(cost.Energy.Calibration > untrimmed.Energy.Calibration && cost.Area.Calibration > untrimmed.Area.Calibration, "the trim is priced");
    }

    [Fact]
    public void DigitalSubtractionConvertsEveryPhysicalColumnOnItsOwnAdc()
    {
        using var scope = NewDisposeScope();
        var hw = HardwareFixtures.Exact(WeightMapping.Differential, InputMode.Dac, subtract: Subtraction.Digital);
        using var pair = new ProgrammedLayer(randint(-100, 100, new long[] { 5, 70 }), 1, hw, 1);
        Assert.Equal(2 * pair.SignalColumns, pair.ConvertedColumns);
        var signalIds = new LayerMapping(hw.Core with { Subtract = Subtraction.Analog }, 70, 5).AdcInstanceIds();
        Assert.Equal(2 * signalIds.unique().Item1.numel(), pair.AdcContext.InstanceIds.unique().Item1.numel());
        using var offset = new ProgrammedLayer(randint(-100, 100, new long[] { 5, 70 }), 1, hw with { Core = hw.Core with { Mapping = WeightMapping.Offset } }, 1);
        Assert.Equal(offset.SignalColumns + offset.Slices, offset.ConvertedColumns);
        // Every physical column's sum is unsigned: what a unipolar ADC can convert.
        var p = AnalogMvm.PartialSums(pair, randint(-31, 32, new long[] { 9, 70 }).to_type(ScalarType.Float32), true);
        Assert.True(p.min().item<float>() >= 0, "a physical column's current is never negative");
        Assert.Equal(2 * 9, p.shape[1]);   // signed DAC inputs: positive and negative phase
    }

    [Theory]
    [InlineData(WeightMapping.Differential, Subtraction.Analog, 1)]
    [InlineData(WeightMapping.Differential, Subtraction.Digital, 2)]
    [InlineData(WeightMapping.Offset, Subtraction.Digital, 4)]
    [InlineData(WeightMapping.Offset, Subtraction.Analog, 8)]
    public void TheCostModelPricesTheAdcsAndConversionsTheEngineUses(WeightMapping mapping, Subtraction subtract, int adcShare)
    {
        using var scope = NewDisposeScope();
        // 150 inputs on 64-row arrays (3 tiles), 40 outputs in 4 slices: several arrays per tile.
        var hw = HardwareFixtures.Exact(mapping, InputMode.Dac, subtract: subtract, adcShare: adcShare);
        using var layer = new ProgrammedLayer(randint(-100, 100, new long[] { 40, 150 }), 1, hw, 1);
        var cost = ImcSharp.Cost.CoreCostModel.Analog("fc", 150, 40, 1, hw, new CostConfig());
        Assert.Equal(layer.AdcContext.Instances, cost.Adcs);
        Assert.Equal((long)layer.Tiles * hw.Core.Cycles * layer.ConvertedColumns, cost.ConversionsPerInference);
    }

    [Fact]
    public void UnipolarAdcOnASignedSumNeedsAStatedBias()
    {
        var core = new CoreConfig { Rows = 64, Columns = 64 };
        var cco = new AdcConfig { Kind = "cco", Bits = 7 };
        var e = Assert.Throws<ImcInputException>(() => new LayerHardware { Core = core, Adc = cco }.Validated("x.json"));
        Assert.Contains("adc.kind", e.Message);
        Assert.Contains("digital", e.Message);
        new LayerHardware { Core = core, Adc = cco with { Bias = AdcBias.MidScale } }.Validated("x.json");
        new LayerHardware { Core = core with { Subtract = Subtraction.Digital }, Adc = cco }.Validated("x.json");
        var both = Assert.Throws<ImcInputException>(() => new LayerHardware { Core = core with { Subtract = Subtraction.Digital }, Adc = cco with { Bias = AdcBias.MidScale } }.Validated("x.json"));
        Assert.Contains("adc.bias", both.Message);
        var parsed = Assert.Throws<ImcInputException>(() => HardwareConfig.Parse("""{ "core": { "subtract": "sideways" } }""", "d.json"));
        Assert.Contains("d.json", parsed.Message);
        Assert.Contains("core.subtract", parsed.Message);
    }

    static double QuantizationMse(Tensor x, SliceRange r, int bits) =>
        x.div(r.Lsb).sub(r.LowCode).add(0.5).floor().clamp(0, (1 << bits) - 1).add(r.LowCode).mul(r.Lsb).sub(x).square().mean().item<float>();

    [Fact]
    public void BitAwareRangeBeatsAFixedPercentileAndSnapsZeroToALevel()
    {
        using var scope = NewDisposeScope();
        manual_seed(2);
        // Heavy-tailed signed sums, skewed positive (as after ReLU inputs on mostly positive weights).
        var x = randn(20000).mul(randn(20000).abs()).mul(30).add(8);
        foreach (int bits in new[] { 4, 6 })
        {
            var p999 = AdcScales.Calibrate(x, new AdcRange { Percentile = 99.9 }, bits, unipolar: false);
            var mse = AdcScales.Calibrate(x, new AdcRange { Method = RangeMethod.Mse }, bits, unipolar: false);
            var asym = AdcScales.Calibrate(x, new AdcRange { Method = RangeMethod.Mse, Asymmetric = true }, bits, unipolar: false);
            double e999 = QuantizationMse(x, p999, bits), eMse = QuantizationMse(x, mse, bits), eAsym = QuantizationMse(x, asym, bits);
            // Never worse than a fixed percentile; at 4 bits clipping harder is clearly better.
            Assert.True(bits == 4 ? eMse < 0.9 * e999 : eMse <= e999, $"{bits} bits: mse range {eMse} vs P99.9 {e999}");
            Assert.True(eAsym <= eMse * 1.0001, $"{bits} bits: asymmetric {eAsym} vs symmetric {eMse}");
            Assert.Equal(Math.Round(asym.LowCode), asym.LowCode, 9);    // zero is a level
            Assert.Equal(-(1 << (bits - 1)), mse.LowCode, 9);            // symmetric: zero at code 2^(N-1)
        }
        // Fewer bits clip harder: the 4-bit range is narrower than the 6-bit one.
        Assert.True(AdcScales.Calibrate(x, new AdcRange { Method = RangeMethod.Mse }, 4, false).High(4) < AdcScales.Calibrate(x, new AdcRange { Method = RangeMethod.Mse }, 6, false).High(6));
        // Unsigned sums: code 0 at zero.
        var u = AdcScales.Calibrate(x.abs(), new AdcRange { Method = RangeMethod.Mse }, 5, unipolar: true);
        Assert.Equal(0, u.Low);
    }

    [Fact]
    public void EachWeightSliceGetsItsOwnRange()
    {
        using var scope = NewDisposeScope();
        manual_seed(4);
        var hw = HardwareFixtures.Exact(WeightMapping.Differential, InputMode.Dac, rows: 256, bitsPerCell: 4, inputBits: 8) with
        {
            Adc = new AdcConfig { Bits = 6, Range = new AdcRange { Mode = AdcRangeMode.Calibrated, Method = RangeMethod.Mse } },
        };
        var layer = new ImcSharp.Nn.AnalogLinear("fc", new TorchSharp.Modules.Parameter(randn(32, 256) * 0.05), null, hw);
        var x = rand(200, 256);
        ImcSharp.Nn.AnalogConversion.CalibrateInputs(nn.Sequential(("fc", layer)), x);
        var ranges = layer.AdcRanges!;
        Assert.Equal(2, ranges.Count);
        // Near-Gaussian weights: the high slice of an 8-bit weight holds small digits, the low one uniform digits.
        Assert.NotEqual(ranges[0].Lsb, ranges[1].Lsb, 6);
        // Sharing one range is a special case the config can still ask for.
        var shared = new ImcSharp.Nn.AnalogLinear("fc", layer.weight, null, hw with { Adc = hw.Adc with { Range = hw.Adc.Range with { PerSlice = false } } });
        ImcSharp.Nn.AnalogConversion.CalibrateInputs(nn.Sequential(("fc", shared)), x);
        Assert.Single(shared.AdcRanges!);
    }

    /// <summary>
    /// Calibration makes its sums in chunks and keeps every stride-th: the ranges equal those of
    /// the whole set of sums [T, phases*B, columns] strided at once (bit-serial, several tiles,
    /// signed inputs with digital subtraction's extra phase, more sums than the limit).
    /// </summary>
    [Theory]
    [InlineData(RangeMethod.Percentile)]
    [InlineData(RangeMethod.Mse)]
    public void ChunkedCalibrationKeepsTheSumsOfTheWholeSet(RangeMethod method)
    {
        using var scope = NewDisposeScope();
        manual_seed(6);
        var hw = HardwareFixtures.Exact(WeightMapping.Differential, InputMode.BitSerial, rows: 64, bitsPerCell: 2, inputBits: 6, subtract: Subtraction.Digital) with
        {
            Adc = new AdcConfig { Bits = 5, Range = new AdcRange { Mode = AdcRangeMode.Calibrated, Method = method, Percentile = 99.5 } },
        };
        var layer = new ImcSharp.Nn.AnalogLinear("fc", new TorchSharp.Modules.Parameter(randn(40, 150) * 0.05), null, hw);
        var x = randn(3000, 150);
        ImcSharp.Nn.AnalogConversion.CalibrateInputs(nn.Sequential(("fc", layer)), x);
        // The reference: all sums at once, strided as documented.
        var (wq, scale) = WeightSlicing.Quantize(layer.weight.detach(), 8);
        var exact = hw with { Adc = new AdcConfig { Bits = 5, Range = new AdcRange { Mode = AdcRangeMode.Exact } } };
        using var nominal = new ProgrammedLayer(wq, scale, exact, 0);
        var xq = InputEncoding.Quantize(x, layer.InputScale, 6, layer.InputSigned);
        var p = AnalogMvm.PartialSums(nominal, xq, layer.InputSigned);
        long limit = method == RangeMethod.Mse ? 1L << 16 : 1L << 20;
        for (int s = 0; s < hw.Core.Slices; s++)
        {
            int slice = s;
            var cols = tensor(Enumerable.Range(0, nominal.ConvertedColumns).Where(j => nominal.ColumnSlices[j] == slice).Select(j => (long)j).ToArray());
            var sums = p.index_select(2, cols).flatten();
            long stride = Math.Max(1, sums.numel() / limit);
            Assert.True(method == RangeMethod.Percentile || stride > 1, "the case should stride");
            var expected = AdcScales.Calibrate(sums.slice(0, 0, sums.numel(), stride), hw.Adc.Range, 5, true);
            Assert.Equal(expected.Low, layer.AdcRanges![s].Low, 9);
            Assert.Equal(expected.Lsb, layer.AdcRanges![s].Lsb, 9);
        }
    }

    [Fact]
    public void NativeRangeHandsTheColumnCurrentToTheConverterAsItIs()
    {
        using var scope = NewDisposeScope();
        var hw = new LayerHardware
        {
            Core = new CoreConfig { Rows = 64, Columns = 64, WeightBits = 4, BitsPerCell = 2, InputBits = 4, InputMode = InputMode.Dac, Subtract = Subtraction.Digital },
            Cell = new CellConfig { Kind = CellKind.Rram, GMin = 1e-6, GMax = 31e-6 },
            Adc = new AdcConfig { Kind = "cco", Bits = 7, Range = new AdcRange { Mode = AdcRangeMode.Native } }.With(new OscillatorParams { FullScale = 10e-6, FMax = 1e12, F0SigmaLocal = 0, KSigmaLocal = 0, F0SigmaGlobal = 0, KSigmaGlobal = 0 }),
        }.Validated("native");
        using var chip = new ProgrammedLayer(full(1, 64, 3f), 1, hw, 1);
        // One LSB is full scale / 127 amperes, whatever the array.
        Assert.Equal(10e-6 / 127, chip.Ranges[0].Lsb * chip.SignalUnit.Unit, 15);
        // Input digit 15 on one row: 0.2 V x (G_min + 3 x 10 uS) = 6.2 uA on the positive bit line, 0.2 uA on the negative one.
        var x = zeros(1, 64); x[0, 0] = 15;
        var p = AnalogMvm.PartialSums(chip, x, false) * (chip.Ranges[0].Lsb * chip.SignalUnit.Unit);
        Assert.Equal(6.2e-6, p[0, 0, 0].item<float>(), 9);
        Assert.Equal(0.2e-6, p[0, 0, chip.SignalColumns].item<float>(), 9);
        var analog = Assert.Throws<ImcInputException>(() => (hw with { Core = hw.Core with { Subtract = Subtraction.Analog }, Adc = hw.Adc with { Bias = AdcBias.MidScale } }).Validated("native.json"));
        Assert.Contains("native", analog.Message);
    }
}
