using ImcSharp.Config;
using ImcSharp.Crossbar;
using ImcSharp.Nn;
using TorchSharp;
using static TorchSharp.torch;

namespace ImcSharp.Tests.Crossbar;

/// <summary>Primer 1: an ideal core with a lossless ADC reproduces the quantized integer matmul exactly.</summary>
public class ExactnessTests
{
    public static IEnumerable<object[]> Cases()
    {
        foreach (var mapping in new[] { WeightMapping.Differential, WeightMapping.Offset })
        foreach (var mode in new[] { InputMode.Dac, InputMode.BitSerial })
        foreach (var signed in new[] { false, true })
        foreach (var subtract in new[] { Subtraction.Analog, Subtraction.Digital })
            yield return new object[] { mapping, mode, signed, subtract };
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void LinearEqualsIntegerMatmul(WeightMapping mapping, InputMode mode, bool signedInputs, Subtraction subtract)
    {
        using var scope = NewDisposeScope();
        manual_seed(3);
        // Shared ADCs (a mux over 3 columns) change nothing on an ideal core.
        var hw = HardwareFixtures.Exact(mapping, mode, subtract: subtract, adcShare: 3);
        // 150 inputs over 64-row tiles leaves a partly filled last tile; 37 outputs are odd.
        var w = randn(37, 150) * 0.1;
        var x = randn(23, 150);
        if (!signedInputs) x = x.relu();
        var (wq, ws) = WeightSlicing.Quantize(w, hw.Core.WeightBits);
        double xs = x.abs().max().item<float>() / InputEncoding.QuantMax(hw.Core.InputBits, signedInputs);
        var xq = InputEncoding.Quantize(x, xs, hw.Core.InputBits, signedInputs);
        using var chip = new ProgrammedLayer(wq, ws, hw, 1);
        var analog = AnalogMvm.Forward(chip, xq, signedInputs);
        var reference = xq.to_type(ScalarType.Float64).matmul(wq.to_type(ScalarType.Float64).t());
        Assert.True(TensorAssert.Same(analog.to_type(ScalarType.Float64), reference), "analog integer output differs from Wq . xq");
        Assert.True(reference.abs().max().item<double>() > 1000, "test data too small to be meaningful");
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void LayersMatchQuantizedDigitalExactly(WeightMapping mapping, InputMode mode, bool signedInputs, Subtraction subtract)
    {
        using var scope = NewDisposeScope();
        manual_seed(5);
        var hw = HardwareFixtures.Exact(mapping, mode, subtract: subtract);
        var conv = new AnalogConv2d("conv", new TorchSharp.Modules.Parameter(randn(7, 3, 5, 5) * 0.1), new TorchSharp.Modules.Parameter(randn(7)),
            new long[] { 2, 1 }, new long[] { 2, 1 }, new long[] { 1, 1 }, hw);
        var lin = new AnalogLinear("fc", new TorchSharp.Modules.Parameter(randn(11, 77) * 0.2), null, hw);
        var xc = randn(4, 3, 9, 11);
        var xl = randn(6, 77);
        if (!signedInputs) { xc = xc.relu(); xl = xl.relu(); }
        foreach (var (layer, x) in new (AnalogLayer, Tensor)[] { (conv, xc), (lin, xl) })
        {
            layer.Execution = Execution.QuantizedDigital;
            var q = layer.call(x);
            layer.Execution = Execution.Analog;
            var a = layer.call(x);
            Assert.True(TensorAssert.Same(a, q), $"{layer.LayerName}: analog and quantized-digital outputs differ");
            layer.Execution = Execution.Float;
            Assert.True(layer.call(x).allclose(a, rtol: 0.1, atol: 0.1), $"{layer.LayerName}: quantized output far from float");
        }
        // The conv through unfold matches torch's conv2d in float execution.
        conv.Execution = Execution.Float;
        var expected = nn.functional.conv2d(xc, conv.weight, conv.bias, strides: new long[] { 2, 1 }, padding: new long[] { 2, 1 });
        Assert.True(conv.call(xc).allclose(expected, rtol: 1e-4, atol: 1e-5));
    }

    [Fact]
    public void NarrowAdcLosesInformationAndClips()
    {
        using var scope = NewDisposeScope();
        manual_seed(9);
        var hw = HardwareFixtures.Exact(WeightMapping.Differential, InputMode.BitSerial) with
        {
            Adc = new AdcConfig { Bits = 4, Range = new AdcRange { Mode = AdcRangeMode.Exact } },
        };
        var w = randn(16, 128) * 0.1;
        var (wq, ws) = WeightSlicing.Quantize(w, 8);
        var xq = InputEncoding.Quantize(rand(8, 128), 1.0 / 63, 6, false);
        using var chip = new ProgrammedLayer(wq, ws, hw, 1);
        var sums = AnalogMvm.PartialSums(chip, xq, false);
        Assert.True(sums.abs().max().item<float>() > 7, "partial sums should exceed the 4-bit range");
        var analog = AnalogMvm.Forward(chip, xq, false);
        var reference = xq.matmul(wq.t());
        Assert.False(TensorAssert.Same(analog, reference));
    }
}
