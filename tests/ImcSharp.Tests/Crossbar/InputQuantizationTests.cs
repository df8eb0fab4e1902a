using ImcSharp.Crossbar;
using static TorchSharp.torch;

namespace ImcSharp.Tests.Crossbar;

public class InputQuantizationTests
{
    /// <summary>Images [B, C, H, W] with the channels innermost in memory, as analog layers hand them on.</summary>
    static Tensor ChannelsLast(Tensor x) => x.permute(0, 2, 3, 1).contiguous().permute(0, 3, 1, 2);

    [Theory]
    [InlineData(8, false, false)]
    [InlineData(8, false, true)]
    [InlineData(6, true, false)]
    [InlineData(6, true, true)]
    public void TheOnePassKernelGivesTorchsIntegersBitForBitInTheInputsLayout(int bits, bool signed, bool channelsLast)
    {
        using var scope = NewDisposeScope();
        double q = InputEncoding.QuantMax(bits, signed), step = 0.37;
        // Many tasks' worth and a tail shorter than one vector; values past the range on both sides.
        var x = randn(new long[] { 7, 13, 37, 41 }, generator: new Generator(11)).mul_((float)(q * step * 0.8));
        if (!signed) x = x.abs_();
        // Exact ties x / step = k + 1/2 (even and odd k, negative too): half to even, as torch's round.
        var ties = new[] { 0.5, 1.5, 2.5, -0.5, -1.5, q + 5, -q - 5 }.Select(t => (float)(t * step)).ToArray();
        x.view(-1).narrow(0, 0, ties.Length).copy_(tensor(ties));
        if (channelsLast) x = ChannelsLast(x);
        var kernel = InputEncoding.Quantize(x, step, bits, signed, kernels: true);
        var torchOps = InputEncoding.Quantize(x, step, bits, signed, kernels: false);
        Assert.True(TensorAssert.Same(kernel, torchOps));
        Assert.Equal(x.stride(), kernel.stride());
        Assert.Equal(new[] { 0f, 2f, 2f, signed ? -0f : 0f, signed ? -2f : 0f, (float)q, signed ? (float)-q : 0f },
            kernel.contiguous().view(-1).narrow(0, 0, ties.Length).data<float>().ToArray());
    }

    [Theory]
    [InlineData(8, false)]
    [InlineData(6, true)]
    public void TheResidualKernelGivesTorchsResidualBitForBit(int bits, bool signed)
    {
        using var scope = NewDisposeScope();
        double q = InputEncoding.QuantMax(bits, signed), step = 0.0371;
        var x = ChannelsLast(randn(new long[] { 5, 11, 9, 13 }, generator: new Generator(12)).mul_((float)(q * step)));
        if (!signed) x = x.abs();
        var kernel = InputEncoding.QuantizationResidual(x, step, bits, signed, kernels: true);
        var torchOps = InputEncoding.Quantize(x, step, bits, signed).mul_(step).sub_(x);
        Assert.True(TensorAssert.Same(kernel, torchOps));
        Assert.Equal(x.stride(), kernel.stride());
        // Inside the range the residual is at most half a step; past it, the input's excess.
        var inside = x.abs() < (float)(q * step);
        Assert.True(kernel.masked_select(inside).abs().max().item<float>() <= (float)(step / 2) * 1.0001f);
        Assert.True(kernel.masked_select(inside.logical_not()).numel() > 0);
    }

    [Fact]
    public void InputsWithGapsAreQuantizedByTorchsOperations()
    {
        using var scope = NewDisposeScope();
        var x = randn(64, 40, generator: new Generator(2)).narrow(1, 3, 20);   // rows with a stride past their end
        Assert.False(DenseKernel.IsDense(x.shape, x.stride()));
        var q = InputEncoding.Quantize(x, 0.05, 6, true, kernels: true);
        Assert.True(TensorAssert.Same(q, (x.contiguous() / 0.05).round_().clamp_(-31, 31)));
    }

    [Theory]
    [InlineData(new long[] { 2, 3, 4 }, new long[] { 12, 4, 1 }, true)]            // contiguous
    [InlineData(new long[] { 2, 3, 4, 5 }, new long[] { 60, 1, 15, 3 }, true)]     // channels-last images
    [InlineData(new long[] { 3, 4 }, new long[] { 1, 3 }, true)]                   // a transpose
    [InlineData(new long[] { 2, 1, 4 }, new long[] { 4, 99, 1 }, true)]            // a size-1 axis has any stride
    [InlineData(new long[] { 3, 4 }, new long[] { 8, 1 }, false)]                  // rows narrowed: gaps
    [InlineData(new long[] { 3, 4 }, new long[] { 0, 1 }, false)]                  // broadcast: overlap
    public void DenseLayoutsAreThoseWithoutGapsOrOverlap(long[] shape, long[] stride, bool dense) =>
        Assert.Equal(dense, DenseKernel.IsDense(shape, stride));
}
