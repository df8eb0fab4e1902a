using ImcSharp.Converters;
using static TorchSharp.torch;

namespace ImcSharp.Tests.Converters;

public class SlopeLookupTests
{
    [Theory]
    [InlineData(AdcGradient.Identity, false)]
    [InlineData(AdcGradient.Identity, true)]
    [InlineData(AdcGradient.MeanSlope, false)]
    [InlineData(AdcGradient.MeanSlope, true)]
    public void TheOnePassKernelGivesTorchsGatesBitForBit(AdcGradient mode, bool perColumn)
    {
        using var scope = NewDisposeScope();
        const int bits = 5, columns = 13;
        // A compressive population, so the mean-slope table varies from entry to entry.
        var thresholds = (AdcModels.Ideal(bits) * 0.9 + 0.3).unsqueeze(0);
        var table = AdcSlope.Table(bits, mode, thresholds);
        var low = perColumn ? Enumerable.Range(0, columns).Select(j => -16.0 + j % 3 - 0.5 * (j % 2)).ToArray() : new[] { -16.0 };
        // Sums across and past the range, with exact ties x - low + 1 = k + 1/2 in the first row.
        var x = randn(new long[] { 3, 1001, columns }, generator: new Generator(8)).mul_(14f);
        x[0, 0] = tensor(Enumerable.Range(0, columns).Select(j => (float)(low[perColumn ? j : 0] - 1 + j - 2.5)).ToArray());
        var kernel = AdcSlope.Lookup(table, x, low, ComputeTarget.Cpu);
        var torchOps = AdcSlope.Lookup(table, x, low, ComputeTarget.Reference);
        Assert.True(TensorAssert.Same(kernel, torchOps));
        // Inside the range the identity gate is 1 and outside 0: both occur here.
        if (mode == AdcGradient.Identity)
        {
            Assert.Equal(new[] { 0f, 1f }, kernel.unique().Item1.data<float>().ToArray());
        }
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void ANotANumberSumGetsNoGradientInsteadOfAnIndexOutOfRange(bool perColumn)
    {
        using var scope = NewDisposeScope();
        var table = AdcSlope.Table(4, AdcGradient.Identity);
        var low = perColumn ? Enumerable.Range(0, 9).Select(j => -8.0 + j % 2).ToArray() : new[] { -8.0 };
        var x = zeros(5, 9);
        x[2, 3] = tensor(float.NaN);
        x[4, 8] = tensor(float.NaN);   // the scalar tail of a row
        var g = AdcSlope.Lookup(table, x, low, ComputeTarget.Cpu);
        Assert.Equal(0f, g[2, 3].item<float>());
        Assert.Equal(0f, g[4, 8].item<float>());
        Assert.Equal(1f, g[0, 0].item<float>());
    }
}
