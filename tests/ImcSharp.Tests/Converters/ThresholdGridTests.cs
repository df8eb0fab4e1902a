using ImcSharp.Config;
using ImcSharp.Converters;
using ImcSharp.Crossbar;
using TorchSharp;
using static TorchSharp.torch;

namespace ImcSharp.Tests.Converters;

public class ThresholdGridTests
{
    /// <summary>A bank built on the given thresholds for a [2 tiles, 40 columns] layer.</summary>
    static ThresholdAdc Bank(Tensor instanceThresholds, int bits, Tensor? levels = null)
    {
        var ids = arange(80, ScalarType.Int64).remainder(instanceThresholds.shape[0]).view(2, 40);
        return new ThresholdAdc(bits, (-Math.Pow(2, bits - 1), 1.0), instanceThresholds, levels, ids, 0, 1);
    }

    [Theory]
    [InlineData(AdcKind.Flash, 0.2)]
    [InlineData(AdcKind.Flash, 1.5)]    // non-monotonic, several thresholds per 1-LSB cell
    [InlineData(AdcKind.Sar, 0.03)]
    [InlineData(AdcKind.Cco, 0.0)]      // saturation: unreachable top codes (+inf)
    public void GridConversionEqualsTheSortedSearchExactly(AdcKind kind, double sigma)
    {
        using var scope = NewDisposeScope();
        var cfg = new AdcConfig
        {
            Kind = kind, Bits = 6, Flash = new FlashParams { ComparatorSigma = sigma }, Sar = new SarParams { UnitCapSigma = sigma },
            Oscillator = new OscillatorParams { FMax = 5e7, F0SigmaLocal = 0.05, KSigmaLocal = 0.05 },
        };
        using var g = new Generator(3);
        using var l = new Generator(4);
        var thresholds = AdcModels.Thresholds(cfg, 17, g, l);
        if (kind == AdcKind.Cco) Assert.True(thresholds.isinf().any().item<bool>(), "the CCO case should have unreachable codes");
        using var bank = Bank(thresholds, 6);
        manual_seed(5);
        // Continuous values over and beyond the range, plus values exactly on thresholds.
        var x = rand(2, 300, 40) * 90 - 45;
        var onThresholds = (thresholds.to_type(ScalarType.Float32).index_select(0, arange(40, ScalarType.Int64).remainder(17)) - 32)
            .clamp(-1e6, 1e6).t().unsqueeze(0).expand(2, -1, -1);
        x = cat(new[] { x, onThresholds }, 1);
        Assert.True(TensorAssert.Same(bank.ConvertBySearch(x.clone()), bank.Convert(x.clone())), $"{kind} sigma {sigma}: grid and search disagree");
    }

    [Fact]
    public void GridConversionAppliesCalibratedLevels()
    {
        using var scope = NewDisposeScope();
        using var g = new Generator(3);
        using var l = new Generator(4);
        var thresholds = AdcModels.Thresholds(new AdcConfig { Kind = AdcKind.Sar, Bits = 5, Sar = new SarParams { UnitCapSigma = 0.05 } }, 9, g, l);
        var levels = Calibration.Levels(thresholds, CalibrationKind.Lut);
        using var bank = Bank(thresholds, 5, levels);
        var x = rand(2, 100, 40) * 40 - 20;
        Assert.True(TensorAssert.Same(bank.ConvertBySearch(x.clone()), bank.Convert(x.clone())));
    }

    [Fact]
    public void IdentityAndMeanSlopeTablesMatchTheirDefinitions()
    {
        using var scope = NewDisposeScope();
        var id = AdcSlope.Table(4, AdcGradient.Identity);
        Assert.Equal(18, id.shape[0]);                                             // u = -1 .. 16
        Assert.Equal(0f, id[0].item<float>());
        Assert.Equal(16f, id.sum().item<float>());                                 // 1 for u = 0 .. 15
        // An ideal curve has slope 1 inside; a curve with half-LSB code widths (gain 2) has slope 2.
        var ideal = AdcSlope.Table(6, AdcGradient.MeanSlope);
        Assert.Equal(1f, ideal[30].item<float>(), 5);
        var steep = AdcSlope.Table(6, AdcGradient.MeanSlope, ((AdcModels.Ideal(6) + 0.5) * 0.5).unsqueeze(0));
        Assert.Equal(2f, steep[10].item<float>(), 5);
        Assert.Equal(0f, steep[40].item<float>(), 5);                              // past the top threshold (31.5): flat
        // Lookup: code 0 of a layer ADC sits at lowCode; values far outside get the end entries (0).
        var gate = AdcSlope.Lookup(id, tensor(new float[] { -8.4f, 7.4f, -30f, 30f }), -8);
        Assert.Equal(new float[] { 1, 1, 0, 0 }, gate.data<float>().ToArray());
    }
}
