using ImcSharp.Config;
using ImcSharp.Crossbar;
using static TorchSharp.torch;

namespace ImcSharp.Tests.Crossbar;

public class InputEncodingTests
{
    static CoreConfig Core(InputMode mode, int inputBits, int sliceBits, Subtraction subtract) => new()
    {
        Rows = 32, Columns = 64, Mapping = WeightMapping.Differential, WeightBits = 8, BitsPerCell = 2,
        InputBits = inputBits, InputMode = mode, InputSliceBits = sliceBits, Subtract = subtract,
    };

    /// <summary>Every integer input of the range, then random ones: [n] floats.</summary>
    static Tensor Integers(int inputBits, bool signed, long n)
    {
        double q = InputEncoding.QuantMax(inputBits, signed);
        var all = arange(signed ? -q : 0, q + 1, ScalarType.Float32);
        var rest = randint((long)(signed ? -q : 0), (long)q + 1, new[] { n - all.numel() }, generator: new Generator(3)).to_type(ScalarType.Float32);
        return cat(new[] { all, rest });
    }

    /// <summary>
    /// The one-pass digits give torch's digits of every phase (DAC and bit-serial, signed and
    /// unsigned, a negative phase with digital subtraction, a negative top digit with analog
    /// subtraction), for contiguous and channels-last images, in the images' layout.
    /// </summary>
    [Theory]
    [InlineData(InputMode.Dac, 8, 1, true, Subtraction.Digital, false)]
    [InlineData(InputMode.Dac, 8, 1, true, Subtraction.Digital, true)]
    [InlineData(InputMode.BitSerial, 8, 1, true, Subtraction.Digital, true)]
    [InlineData(InputMode.BitSerial, 8, 1, false, Subtraction.Digital, false)]
    [InlineData(InputMode.BitSerial, 6, 2, true, Subtraction.Analog, false)]
    [InlineData(InputMode.BitSerial, 6, 2, true, Subtraction.Digital, true)]
    public void TheOnePassDigitImagesAreTorchsDigits(InputMode mode, int inputBits, int sliceBits, bool signed, Subtraction subtract, bool channelsLast)
    {
        using var scope = NewDisposeScope();
        var core = Core(mode, inputBits, sliceBits, subtract);
        // 5 x 3 x 17 x 19 = 4845 values: every integer, a tail shorter than a vector.
        var xq = Integers(inputBits, signed, 5 * 3 * 17 * 19).view(5, 3, 17, 19);
        if (channelsLast) xq = xq.permute(0, 2, 3, 1).contiguous().permute(0, 3, 1, 2);
        var kernel = InputEncoding.PhaseImages(xq, core, signed, ComputeTarget.Cpu);
        var torchOps = InputEncoding.PhaseImages(xq, core, signed, ComputeTarget.Reference);
        int P = core.Phases(signed);
        Assert.Equal(new long[] { P * 5, 3, 17, 19 }, kernel.shape);
        Assert.True(TensorAssert.Same(kernel, torchOps));
        // The one pass keeps the images' layout; where it does not run (no 256-bit vectors, e.g.
        // DOTNET_EnableAVX2=0), torch's operations give the same values, contiguous.
        if (DigitsKernel.Applies(xq)) Assert.Equal(xq.stride(), kernel.stride());
        // Applied with the phase weights, the digits give the inputs back.
        var w = InputEncoding.PhaseWeights(core, signed);
        var back = (kernel.reshape(P, 5, 3, 17, 19) * w.view(P, 1, 1, 1, 1)).sum(new long[] { 0 });
        Assert.True(TensorAssert.Same(back, xq));
    }

    /// <summary>
    /// The partial sums of input vectors, with digits from the one-pass kernel (straight from the
    /// inputs into each tile's rows) and from torch's operations, are the same: one tile, three
    /// tiles with the last partly filled, and a stack of two chips.
    /// </summary>
    [Theory]
    [InlineData(20, 1, Subtraction.Digital)]
    [InlineData(70, 1, Subtraction.Digital)]
    [InlineData(70, 2, Subtraction.Analog)]
    [InlineData(70, 1, Subtraction.Analog)]
    public void TilesGetTheSamePartialSumsFromEitherDigits(int inputs, int chips, Subtraction subtract)
    {
        using var scope = NewDisposeScope();
        var hw = HardwareFixtures.Exact(WeightMapping.Differential, InputMode.BitSerial, rows: 32, subtract: subtract);
        var (wq, ws) = WeightSlicing.Quantize(randn(new long[] { 9, inputs }, generator: new Generator(5)), 8);
        ProgrammedLayer Chip(bool kernels) => ProgrammedLayer.Stack(Enumerable.Range(0, chips)
            .Select(k => new ProgrammedLayer(wq, ws, hw, (ulong)k + 1, target: kernels ? ComputeTarget.Cpu : ComputeTarget.Reference)).ToList());
        using var withKernels = Chip(true);
        using var withTorch = Chip(false);
        var xq = Integers(hw.Core.InputBits, true, chips * 11 * inputs).view(chips * 11, inputs);
        var a = AnalogMvm.PartialSums(withKernels, xq, true);
        var b = AnalogMvm.PartialSums(withTorch, xq, true);
        Assert.Equal(new long[] { chips * withKernels.Tiles, hw.Core.Phases(true) * 11, withKernels.ConvertedColumns }, a.shape);
        Assert.True(TensorAssert.Same(a, b));
        // And the whole layer still computes the integer matmul exactly.
        Assert.True(TensorAssert.Same(AnalogMvm.Forward(withKernels, xq, true), AnalogMvm.Forward(withTorch, xq, true)));
        if (chips == 1) Assert.True(TensorAssert.Same(AnalogMvm.Forward(withKernels, xq, true), xq.matmul(wq.t())));
    }
}
