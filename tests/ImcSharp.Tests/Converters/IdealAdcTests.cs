using ImcSharp.Converters;
using static TorchSharp.torch;

namespace ImcSharp.Tests.Converters;

public class IdealAdcTests
{
    [Theory]
    [InlineData(7, 0.0, 200003L)]     // several tasks and a tail shorter than one vector
    [InlineData(4, -8.0, 13L)]        // signed code range, fewer values than one task
    public void TheOnePassKernelGivesTorchsCodesBitForBit(int bits, double lowCode, long count)
    {
        using var scope = NewDisposeScope();
        // Sums in LSBs around and past the code range, with exact half-LSB ties.
        var x = (randn(count, generator: new Generator(3)) * (float)Math.Pow(2, bits - 1) + (float)(lowCode + Math.Pow(2, bits - 1))).view(1, -1, 1);
        x.narrow(1, 0, 6).copy_(tensor(new[] { 0.5f, 1.5f, -0.5f, (float)lowCode - 0.5f, (float)(lowCode + Math.Pow(2, bits)) - 0.5f, 2.4999999f }).view(1, 6, 1));
        using var kernel = new IdealAdc(bits, new[] { lowCode }, ComputeTarget.Cpu);
        using var torchOps = new IdealAdc(bits, new[] { lowCode }, ComputeTarget.Cpu with { Kernels = false });
        var a = kernel.Convert(x.clone());
        var b = torchOps.Convert(x.clone());
        Assert.True(a.equal(b).all().item<bool>());
        // Codes: round half up, clipped to [low, low + 2^bits - 1].
        Assert.Equal(new[] { 1f, 2f, 0f }, a.view(-1).narrow(0, 0, 3).data<float>().ToArray());
        Assert.Equal((float)lowCode, a.min().item<float>());
        Assert.Equal((float)(lowCode + Math.Pow(2, bits) - 1), a.max().item<float>());
    }
}
