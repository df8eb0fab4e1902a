using ImcSharp.Config;
using ImcSharp.Crossbar;
using static TorchSharp.torch;

namespace ImcSharp.Tests.Crossbar;

public class ShiftAndAddTests
{
    /// <summary>Bit-serial 4-bit inputs on 1-bit cells (eight slices) in 16-row tiles, with an ADC of the given bits and range.</summary>
    static LayerHardware BitSerial(WeightMapping mapping, Subtraction subtract, AdcConfig adc) => new()
    {
        Core = new CoreConfig
        {
            Rows = 16, Columns = 64, Mapping = mapping, WeightBits = 8, BitsPerCell = 1,
            InputBits = 4, InputMode = InputMode.BitSerial, InputSliceBits = 1, Subtract = subtract,
        },
        Adc = adc,
    };

    static Tensor Inputs(long rows, long inputs, bool signed) =>
        randint(signed ? -7 : 0, signed ? 8 : 16, new[] { rows, inputs }, generator: new Generator(7)).to_type(ScalarType.Float32);

    /// <summary>
    /// A lossless 8-bit ADC (one LSB per unit; a 16-row column of 1-bit cells and 1-bit inputs sums
    /// to at most 16): the integer shift-and-add applies and gives the integer matmul exactly, for
    /// every subtraction and mapping, signed and unsigned inputs, kernel or torch's operations.
    /// </summary>
    [Theory]
    [InlineData(WeightMapping.Differential, Subtraction.Digital, true)]
    [InlineData(WeightMapping.Differential, Subtraction.Digital, false)]
    [InlineData(WeightMapping.Differential, Subtraction.Analog, true)]
    [InlineData(WeightMapping.Offset, Subtraction.Digital, true)]
    public void TheIntegerShiftAndAddIsTheIntegerMatmul(WeightMapping mapping, Subtraction subtract, bool signed)
    {
        using var scope = NewDisposeScope();
        var hw = BitSerial(mapping, subtract, new AdcConfig { Bits = 8, Range = new AdcRange { Mode = AdcRangeMode.Exact } });
        var (wq, ws) = WeightSlicing.Quantize(randn(new long[] { 11, 40 }, generator: new Generator(3)), 8);   // 40 inputs: 3 tiles, the last partly filled
        var xq = Inputs(13, 40, signed);
        foreach (bool kernels in new[] { true, false })
        {
            using var chip = new ProgrammedLayer(wq, ws, hw, 1, target: kernels ? ComputeTarget.Cpu : ComputeTarget.Reference);
            Assert.True(DigitalBackEnd.IntegerFormApplies(chip, InputEncoding.PhaseWeightValues(hw.Core, signed)));
            Assert.True(TensorAssert.Same(AnalogMvm.Forward(chip, xq, signed), xq.matmul(wq.t())));
        }
    }

    /// <summary>
    /// A lossy 6-bit ADC with an auto range (LSB not 1, codes clipped): the kernel and torch's
    /// operations give the same outputs bit for bit, for one chip and for a stack of two.
    /// </summary>
    [Theory]
    [InlineData(WeightMapping.Differential, Subtraction.Digital, 1)]
    [InlineData(WeightMapping.Differential, Subtraction.Analog, 1)]
    [InlineData(WeightMapping.Offset, Subtraction.Digital, 1)]
    [InlineData(WeightMapping.Differential, Subtraction.Digital, 2)]
    public void TheKernelAndTorchsOperationsAgree(WeightMapping mapping, Subtraction subtract, int chips)
    {
        using var scope = NewDisposeScope();
        var hw = BitSerial(mapping, subtract, new AdcConfig { Bits = 6, Range = new AdcRange { Fraction = 0.3 } });
        var (wq, ws) = WeightSlicing.Quantize(randn(new long[] { 21, 40 }, generator: new Generator(4)), 8);
        var xq = Inputs(chips * 37, 40, true);
        ProgrammedLayer Chip(bool kernels) => ProgrammedLayer.Stack(Enumerable.Range(0, chips).Select(k => new ProgrammedLayer(wq, ws, hw, (ulong)k + 5, target: kernels ? ComputeTarget.Cpu : ComputeTarget.Reference)).ToList());
        using var withKernel = Chip(true);
        using var withTorch = Chip(false);
        Assert.NotEqual(1.0, withKernel.Ranges[0].Lsb);
        Assert.True(DigitalBackEnd.IntegerFormApplies(withKernel, InputEncoding.PhaseWeightValues(hw.Core, true)));
        var a = AnalogMvm.Forward(withKernel, xq, true);
        var b = AnalogMvm.Forward(withTorch, xq, true);
        Assert.True(TensorAssert.Same(a, b));
        // The lossy ADC loses something (with the offset mapping's large unsigned sums, most of the signal).
        var exact = xq.matmul(wq.t());
        Assert.False(TensorAssert.Same(a, exact));
        if (mapping == WeightMapping.Differential)
            Assert.True(nn.functional.cosine_similarity(a.flatten(), exact.flatten(), 0).item<float>() > 0.9);
    }

    /// <summary>Where float32 could round the sums (a 16-bit ADC's codes), or the slices' LSBs differ, the integer form does not apply.</summary>
    [Fact]
    public void TheIntegerFormKeepsOutWhereItWouldNotBeExact()
    {
        using var scope = NewDisposeScope();
        var (wq, ws) = WeightSlicing.Quantize(randn(new long[] { 5, 40 }, generator: new Generator(3)), 8);
        var wide = BitSerial(WeightMapping.Differential, Subtraction.Digital, new AdcConfig { Bits = 16, Range = new AdcRange { Mode = AdcRangeMode.Exact } });
        using var wideChip = new ProgrammedLayer(wq, ws, wide, 1);
        Assert.False(DigitalBackEnd.IntegerFormApplies(wideChip, InputEncoding.PhaseWeightValues(wide.Core, true)));
        var hw = BitSerial(WeightMapping.Differential, Subtraction.Digital, new AdcConfig { Bits = 6 });
        using var perSlice = new ProgrammedLayer(wq, ws, hw, 1, ranges: Enumerable.Range(0, hw.Core.Slices).Select(s => new ImcSharp.Converters.SliceRange(0, 1.0 + s)).ToList());
        Assert.False(DigitalBackEnd.IntegerFormApplies(perSlice, InputEncoding.PhaseWeightValues(hw.Core, true)));
    }

    /// <summary>
    /// Two slices (8-bit weights on 4-bit cells), 21 outputs: the kernel's two-slice path (eight
    /// outputs at a time, then the rest) gives torch's outputs bit for bit on a lossy ADC, and the
    /// integer matmul on a lossless one.
    /// </summary>
    [Theory]
    [InlineData(Subtraction.Digital)]
    [InlineData(Subtraction.Analog)]
    public void TwoSlicesAgreeWithTorchAndTheIntegerMatmul(Subtraction subtract)
    {
        using var scope = NewDisposeScope();
        LayerHardware Hw(AdcConfig adc) => new()
        {
            Core = new CoreConfig { Rows = 16, Columns = 64, WeightBits = 8, BitsPerCell = 4, InputBits = 4, InputMode = InputMode.BitSerial, InputSliceBits = 1, Subtract = subtract },
            Adc = adc,
        };
        var (wq, ws) = WeightSlicing.Quantize(randn(new long[] { 21, 40 }, generator: new Generator(11)), 8);
        var xq = Inputs(29, 40, true);
        var lossy = Hw(new AdcConfig { Bits = 6, Range = new AdcRange { Fraction = 0.3 } });
        using var withKernel = new ProgrammedLayer(wq, ws, lossy, 3, target: ComputeTarget.Cpu);
        using var withTorch = new ProgrammedLayer(wq, ws, lossy, 3, target: ComputeTarget.Reference);
        Assert.Equal(2, withKernel.Slices);
        Assert.True(DigitalBackEnd.IntegerFormApplies(withKernel, InputEncoding.PhaseWeightValues(lossy.Core, true)));
        Assert.True(TensorAssert.Same(AnalogMvm.Forward(withKernel, xq, true), AnalogMvm.Forward(withTorch, xq, true)));
        var lossless = Hw(new AdcConfig { Bits = 10, Range = new AdcRange { Mode = AdcRangeMode.Exact } });
        using var exact = new ProgrammedLayer(wq, ws, lossless, 3, target: ComputeTarget.Cpu);
        Assert.True(DigitalBackEnd.IntegerFormApplies(exact, InputEncoding.PhaseWeightValues(lossless.Core, true)));
        Assert.True(TensorAssert.Same(AnalogMvm.Forward(exact, xq, true), xq.matmul(wq.t())));
    }
}
