using ImcSharp.Config;
using ImcSharp.Converters;
using ImcSharp.Crossbar;
using TorchSharp;
using static TorchSharp.torch;

namespace ImcSharp.Tests.Converters;

public class ThresholdGridTests
{
    /// <summary>A bank built on the given thresholds for a [2 tiles, <paramref name="columns"/>] layer.</summary>
    static ThresholdAdc Bank(Tensor instanceThresholds, int bits, Tensor? levels = null, int columns = 40)
    {
        var ids = arange(2 * columns, ScalarType.Int64).remainder(instanceThresholds.shape[0]).view(2, columns);
        return new ThresholdAdc(bits, new[] { -Math.Pow(2, bits - 1) }, instanceThresholds, levels, ids, 0, 1);
    }

    [Theory]
    [InlineData("flash", 0.2, 40, 6)]
    [InlineData("flash", 1.5, 40, 6)]    // non-monotonic, several thresholds per 1-LSB cell
    [InlineData("sar", 0.03, 40, 6)]
    [InlineData("cco", 0.0, 40, 6)]      // saturation: unreachable top codes (+inf)
    [InlineData("flash", 0.5, 21, 6)]    // rows end in a partial vector (21 = 2 x 8 + 5)
    [InlineData("sar", 0.05, 3, 6)]      // rows shorter than one vector
    [InlineData("flash", 0.7, 70, 9)]    // 9 bits: no packed words, the full records only; 70 columns span two groups
    public void GridConversionEqualsTheSortedSearchExactly(string kind, double sigma, int columns, int bits)
    {
        using var scope = NewDisposeScope();
        var cfg = new AdcConfig
        {
            Kind = kind, Bits = bits,
        }.With(new OscillatorParams { FMax = 5e7, F0SigmaLocal = 0.05, KSigmaLocal = 0.05 }).With(new SarParams { UnitCapSigma = sigma }).With(new FlashParams { ComparatorSigma = sigma });
        using var g = new Generator(3);
        using var l = new Generator(4);
        var thresholds = AdcArchitecture.Thresholds(cfg, 17, g, l);
        if (kind == "cco") Assert.True(thresholds.isinf().any().item<bool>(), "the CCO case should have unreachable codes");
        using var bank = Bank(thresholds, bits, columns: columns);
        manual_seed(5);
        // Continuous values over and beyond the range (some far beyond int32), plus values exactly on thresholds.
        double half = Math.Pow(2, bits - 1);
        var x = cat(new[] { rand(2, 300, columns) * (2.8 * half) - 1.4 * half, tensor(new[] { -3e9f, 3e9f, -0.5f, 1e-7f }).view(1, 4, 1).expand(2, 4, columns) }, 1);
        var onThresholds = (thresholds.to_type(ScalarType.Float32).index_select(0, arange(columns, ScalarType.Int64).remainder(17)) - (float)half)
            .clamp(-1e6, 1e6).t().unsqueeze(0).expand(2, -1, -1);
        x = cat(new[] { x, onThresholds }, 1);
        Assert.True(bank.UsesGrid || !System.Runtime.Intrinsics.X86.Avx2.IsSupported, "the grid should take these tables");
        var expected = bank.ConvertBySearch(x.clone());
        Assert.True(TensorAssert.Same(expected, bank.Convert(x.clone())), $"{kind} sigma {sigma}: grid and search disagree");
        // The same values laid out column by column.
        var byColumn = x.transpose(1, 2).contiguous().transpose(1, 2);
        Assert.True(TensorAssert.Same(expected, bank.Convert(byColumn)), $"{kind} sigma {sigma}: grid and search disagree on a transposed layout");
    }

    [Fact]
    public void GridConversionAppliesCalibratedLevels()
    {
        using var scope = NewDisposeScope();
        using var g = new Generator(3);
        using var l = new Generator(4);
        var thresholds = AdcArchitecture.Thresholds(new AdcConfig { Kind = "sar", Bits = 5 }.With(new SarParams { UnitCapSigma = 0.05 }), 9, g, l);
        var levels = Calibration.Levels(thresholds, CalibrationKind.Lut);
        using var bank = Bank(thresholds, 5, levels, columns: 13);
        var x = rand(2, 100, 13) * 40 - 20;
        Assert.True(bank.UsesGrid || !System.Runtime.Intrinsics.X86.Avx2.IsSupported);
        Assert.True(TensorAssert.Same(bank.ConvertBySearch(x.clone()), bank.Convert(x.clone())));
        Assert.True(TensorAssert.Same(bank.ConvertBySearch(x.clone()), bank.Convert(x.transpose(1, 2).contiguous().transpose(1, 2))));
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
        var gate = AdcSlope.Lookup(id, tensor(new float[] { -8.4f, 7.4f, -30f, 30f }), new[] { -8.0 });
        Assert.Equal(new float[] { 1, 1, 0, 0 }, gate.data<float>().ToArray());
    }

    /// <summary>The kernels address native memory through libtorch, not a span: views start where they should, and tensors beyond 2 GB convert.</summary>
    [Fact]
    public void KernelsReachViewsAndTensorsBeyondTwoGigabytes()
    {
        using var scope = NewDisposeScope();
        var t = arange(1000, ScalarType.Float32).view(10, 100);
        var view = t.narrow(0, 3, 2);
        Assert.Equal(300 * sizeof(float), NativeData.Address(view) - NativeData.Address(t));
        Assert.Equal(300f, System.Runtime.InteropServices.Marshal.PtrToStructure<float>(NativeData.Address(view)));
        Assert.Throws<ArgumentException>(() => NativeData.Address(t.t()));
    }

    [Fact]
    [Trait("Category", "Slow")]
    public void GridConvertsATensorBeyondTwoGigabytes()
    {
        if (!System.Runtime.Intrinsics.X86.Avx2.IsSupported) return;
        using var scope = NewDisposeScope();
        using var g = new Generator(3);
        using var l = new Generator(4);
        var thresholds = AdcArchitecture.Thresholds(new AdcConfig { Kind = "flash", Bits = 6 }.With(new FlashParams { ComparatorSigma = 0.2 }), 64, g, l);
        var ids = arange(64, ScalarType.Int64).view(1, 64);
        using var bank = new ThresholdAdc(6, new[] { -32.0 }, thresholds, null, ids, 0, 1);
        // 2^23 + 3 rows of 64 columns: 2 GiB + 768 bytes.
        long rows = (1L << 23) + 3;
        var x = full(new long[] { 1, rows, 64 }, -40f);
        var tail = rand(1, 3, 64).mul_(80).sub_(40);
        x.narrow(1, rows - 3, 3).copy_(tail);
        var y = bank.Convert(x);
        Assert.True(TensorAssert.Same(y.narrow(1, rows - 3, 3), bank.ConvertBySearch(tail.clone())), "the last rows, past 2 GB, convert as the sorted search does");
        Assert.Equal(-32f, y[0, 0, 0].item<float>());
    }
}
