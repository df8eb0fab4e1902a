using ImcSharp.Config;
using ImcSharp.Crossbar;
using static TorchSharp.torch;

namespace ImcSharp.Tests.Crossbar;

public class WeightSlicingTests
{
    /// <summary>
    /// The digit loop gives the digits of the definition: Wp = max(Wq, 0) and Wn = max(-Wq, 0)
    /// (differential) or u = Wq + 2^(wb-1) against the reference digits of 2^(wb-1) (offset), each
    /// in base 2^b, tiled over R rows with zero weights past K, column n S + s.
    /// </summary>
    [Theory]
    [InlineData(WeightMapping.Differential, 8, 2, 7)]
    [InlineData(WeightMapping.Differential, 4, 4, 7)]
    [InlineData(WeightMapping.Differential, 8, 8, 19)]    // one slice; 8 outputs a vector step, then 3 more
    [InlineData(WeightMapping.Differential, 8, 1, 19)]    // eight slices
    [InlineData(WeightMapping.Differential, 7, 2, 16)]    // three slices, outputs in whole vector steps
    [InlineData(WeightMapping.Offset, 8, 2, 7)]
    [InlineData(WeightMapping.Offset, 6, 3, 7)]
    public void SlicesAreTheBase2bDigitsOfEachColumnsWeights(WeightMapping mapping, int weightBits, int bitsPerCell, int outputs)
    {
        using var scope = NewDisposeScope();
        var core = new CoreConfig { Rows = 16, Columns = 64, Mapping = mapping, WeightBits = weightBits, BitsPerCell = bitsPerCell };
        double q = (1 << (weightBits - 1)) - 1;
        var wq = randint((long)-q, (long)q + 1, new long[] { outputs, 37 }, generator: new Generator(6)).to_type(ScalarType.Float32);   // 37 inputs: 3 tiles, the last partly filled
        var sliced = WeightSlicing.Slice(wq, core);
        int S = core.Slices, b = bitsPerCell, tiles = 3;
        var wt = nn.functional.pad(wq.t(), new long[] { 0, 0, 0, tiles * 16 - 37 });
        Tensor Digits(Tensor v) => stack(Enumerable.Range(0, S).Select(s => WeightSlicing.Digit(v, s, b)).ToArray(), -1).reshape(tiles, 16, outputs * S);
        if (mapping == WeightMapping.Differential)
        {
            Assert.True(TensorAssert.Same(sliced.Positive, Digits(wt.clamp_min(0))));
            Assert.True(TensorAssert.Same(sliced.Negative, Digits(wt.neg().clamp_min(0))));
        }
        else
        {
            double offset = 1 << (weightBits - 1);
            Assert.True(TensorAssert.Same(sliced.Positive, Digits(wt + offset)));
            var reference = stack(Enumerable.Range(0, S).Select(s => WeightSlicing.Digit(full(tiles * 16, offset), s, b)).ToArray(), -1).reshape(tiles, 16, S);
            Assert.True(TensorAssert.Same(sliced.Negative, reference));
            Assert.True(sliced.SharedReference);
        }
        // Shift-and-add of the digits gives the weights back.
        var sw = WeightSlicing.SliceWeights(core);
        var back = (sliced.Positive.view(tiles * 16, outputs, S).matmul(sw) - (sliced.SharedReference
            ? sliced.Negative.view(tiles * 16, 1, S).matmul(sw) : sliced.Negative.view(tiles * 16, outputs, S).matmul(sw))).narrow(0, 0, 37).t();
        Assert.True(TensorAssert.Same(back, wq));
    }

    /// <summary>
    /// The weights' quantization residual from the kernels is torch's Quantize(W) s - W, bit for bit,
    /// and W plus it the quantized weights (to float32 rounding); a NaN weight makes it all NaN, as
    /// torch's max and scale do.
    /// </summary>
    [Theory]
    [InlineData(8)]
    [InlineData(4)]
    public void TheQuantizationResidualIsTorchsBitForBit(int weightBits)
    {
        using var scope = NewDisposeScope();
        var w = randn(new long[] { 37, 61 }, generator: new Generator(5)).mul_(0.3f);
        var (wq, ws) = WeightSlicing.Quantize(w, weightBits);
        var torchOps = wq.mul(ws) - w;
        var kernel = WeightSlicing.QuantizationResidual(w, weightBits, ComputeTarget.Cpu);
        Assert.True(TensorAssert.Same(kernel, torchOps));
        Assert.True(TensorAssert.Same(WeightSlicing.QuantizationResidual(w, weightBits), torchOps));
        Assert.True((w + kernel).sub(wq.mul(ws)).abs().max().item<float>() <= 1e-6f * (float)ws * (1 << weightBits));
        Assert.Equal(w.abs().max().item<float>(), ImcSharp.Crossbar.QuantizeKernel.MaxAbs(w));
        w[3, 59] = float.NaN;
        Assert.True(float.IsNaN(ImcSharp.Crossbar.QuantizeKernel.MaxAbs(w)));
        Assert.True(WeightSlicing.QuantizationResidual(w, weightBits, ComputeTarget.Cpu).isnan().all().item<bool>());
    }
}
