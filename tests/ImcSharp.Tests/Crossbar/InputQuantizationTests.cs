using ImcSharp.Crossbar;
using ImcSharp.Nn.Aware;
using static TorchSharp.torch;

namespace ImcSharp.Tests.Crossbar;

public class InputQuantizationTests
{
    /// <summary>Images [B, C, H, W] with the channels innermost in memory, as analog layers hand them on.</summary>
    static Tensor ChannelsLast(Tensor x) => x.permute(0, 2, 3, 1).contiguous().permute(0, 3, 1, 2);
    /// <summary>Images' elements in channels-last order (a view of channels-last images).</summary>
    static Tensor Flat(Tensor x) => x.permute(0, 2, 3, 1).reshape(-1);

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
        var kernel = InputEncoding.Quantize(x, step, bits, signed, ComputeTarget.Cpu);
        var torchOps = InputEncoding.Quantize(x, step, bits, signed, ComputeTarget.Reference);
        Assert.True(TensorAssert.Same(kernel, torchOps));
        Assert.Equal(x.stride(), kernel.stride());
        Assert.Equal(new[] { 0f, 2f, 2f, signed ? -0f : 0f, signed ? -2f : 0f, (float)q, signed ? (float)-q : 0f },
            kernel.contiguous().view(-1).narrow(0, 0, ties.Length).data<float>().ToArray());
    }

    [Theory]
    [InlineData(8, false)]
    [InlineData(6, true)]
    public void TheSurrogateInputKernelGivesTorchsValueBitForBit(int bits, bool signed)
    {
        using var scope = NewDisposeScope();
        double q = InputEncoding.QuantMax(bits, signed), step = 0.0371;
        var x = ChannelsLast(randn(new long[] { 5, 11, 9, 13 }, generator: new Generator(12)).mul_((float)(q * step)));
        var kernel = StraightThrough.SurrogateInputs(x, step, bits, signed, ComputeTarget.Cpu);
        // What the surrogate computed before it had a kernel: clamp, then add the quantization residual.
        var c = x.clamp(signed ? -q * step : 0, q * step);
        var torchOps = c + InputEncoding.Quantize(c, step, bits, signed).mul_(step).sub_(c);
        Assert.True(TensorAssert.Same(kernel, torchOps));
        Assert.True(TensorAssert.Same(StraightThrough.SurrogateInputs(x, step, bits, signed, ComputeTarget.Reference), torchOps));
        Assert.Equal(x.stride(), kernel.stride());
        // The value is the quantized input, clipped ones included (some are, on both sides when signed).
        Assert.True(TensorAssert.Same(kernel, InputEncoding.Quantize(x, step, bits, signed).mul_(step)));
        Assert.True(x.gt((float)(q * step)).any().item<bool>() && x.lt(signed ? (float)(-q * step) : 0f).any().item<bool>());
    }

    [Theory]
    [InlineData(8, false, true)]
    [InlineData(6, true, true)]
    [InlineData(6, true, false)]
    public void TheClippedGradientIsTorchsGradientOfClamp(int bits, bool signed, bool sameLayout)
    {
        using var scope = NewDisposeScope();
        double q = InputEncoding.QuantMax(bits, signed), step = 0.0371;
        var x = ChannelsLast(randn(new long[] { 5, 11, 9, 13 }, generator: new Generator(3)).mul_((float)(q * step)));
        Flat(x)[7] = float.NaN;
        Flat(x)[8] = (float)(q * step);                 // on the bounds: inside, as torch's ge and le say
        Flat(x)[9] = signed ? (float)(-q * step) : 0f;
        var g = randn(new long[] { 5, 11, 9, 13 }, generator: new Generator(4));
        if (sameLayout) g = ChannelsLast(g);
        var xr = x.clone().requires_grad_(true);
        xr.clamp(signed ? -q * step : 0, q * step).backward(new[] { g });
        var kernel = StraightThrough.ClippedGradient(x, g, step, bits, signed, ComputeTarget.Cpu);
        Assert.True(TensorAssert.Same(kernel, xr.grad!));
        Assert.True(TensorAssert.Same(StraightThrough.ClippedGradient(x, g, step, bits, signed, ComputeTarget.Reference), xr.grad!));
        Assert.Equal(0f, Flat(kernel)[7].item<float>());
        Assert.Equal(Flat(g)[8].item<float>(), Flat(kernel)[8].item<float>());
        Assert.Equal(Flat(g)[9].item<float>(), Flat(kernel)[9].item<float>());
        Assert.True(kernel.eq(0).logical_and(g.ne(0)).any().item<bool>(), "some inputs are clipped");
    }

    [Fact]
    public void InputsWithGapsAreQuantizedByTorchsOperations()
    {
        using var scope = NewDisposeScope();
        var x = randn(64, 40, generator: new Generator(2)).narrow(1, 3, 20);   // rows with a stride past their end
        Assert.False(DenseKernel.IsDense(x.shape, x.stride()));
        var q = InputEncoding.Quantize(x, 0.05, 6, true, ComputeTarget.Cpu);
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
