using ImcSharp.Config;
using ImcSharp.Crossbar;
using ImcSharp.Models;
using ImcSharp.Nn;
using TorchSharp;
using static TorchSharp.torch;

namespace ImcSharp.Tests.Nn;

public class ConversionTests
{
    static HardwareConfig Exact => HardwareConfig.Load(Repo.Path("configs", "ideal-exact.json"));

    [Theory]
    [InlineData(7L, 3L, 11L, 0L, 11L)]     // one chunk of all rows
    [InlineData(5L, 2L, 23L, 7L, 9L)]      // a middle chunk
    [InlineData(1000L, 4L, 50L, 40L, 10L)] // a stride longer than a chunk's block
    public void CalibrationKeepsEveryStrideThSumOfTheWholeSetInOrder(long stride, long tp, long B, long r0, long rows)
    {
        // What calibration keeps of one chunk's partial sums [TP, rows, J] for a group of columns,
        // against marking the flat index (tp B + r) js + j of every sum and keeping the multiples.
        long J = 6;
        long[] columns = { 1, 3, 4 };
        long js = columns.Length;
        var expected = new List<long>();
        for (long t = 0; t < tp; t++)
            for (long r = r0; r < r0 + rows; r++)
                for (long j = 0; j < js; j++)
                    if (((t * B + r) * js + j) % stride == 0) expected.Add((t * rows + r - r0) * J + columns[j]);
        using var kept = RangeCalibration.KeptPositions(stride, tp, B, r0, rows, columns, J);
        Assert.Equal(expected, kept.data<long>().ToArray());
    }

    [Theory]
    [InlineData("mlp", 3)]
    [InlineData("lenet5", 5)]
    [InlineData("vgg8", 8)]
    [InlineData("resnet20", 22)]
    public void EveryWeightLayerBecomesAnalogAndStateDictIsUnchanged(string name, int weightLayers)
    {
        using var scope = NewDisposeScope();
        manual_seed(1);
        var model = new ModelSpec(name, 1, 28, 28, 10).Build();
        var before = model.state_dict().Keys.ToList();
        AnalogConversion.Convert(model, Exact);
        Assert.Equal(weightLayers, AnalogConversion.Layers(model).Count);
        Assert.Equal(before, model.state_dict().Keys.ToList());
    }

    [Fact]
    public void FirstAndLastLayersCanStayDigital()
    {
        var model = new ModelSpec("lenet5", 1, 28, 28, 10).Build();
        AnalogConversion.Convert(model, Exact with { KeepFirstDigital = true, KeepLastDigital = true });
        Assert.Equal(new[] { "conv2", "fc1", "fc2" }, AnalogConversion.Layers(model).Select(l => l.LayerName));
    }

    [Trait("Category", "Slow")]

    [Theory]
    [InlineData("lenet5")]
    [InlineData("mlp")]
    [InlineData("resnet20")]
    public void ConvertedNetworkOnIdealExactCoreEqualsQuantizedNetwork(string name)
    {
        using var scope = NewDisposeScope();
        manual_seed(2);
        var model = new ModelSpec(name, 1, 28, 28, 10).Build();
        model.eval();
        var x = randn(8, 1, 28, 28);
        var floatOut = model.call(x);
        AnalogConversion.Convert(model, Exact);
        AnalogConversion.CalibrateInputs(model, x);
        AnalogConversion.SetExecution(model, Execution.QuantizedDigital);
        var quantized = model.call(x);
        AnalogConversion.SetExecution(model, Execution.Analog);
        var analog = model.call(x);
        Assert.True(TensorAssert.Same(analog, quantized), "analog network differs from the quantized network");
        Assert.False(TensorAssert.Same(analog, floatOut));
    }

    /// <summary>
    /// The conversion map's way back: every analog layer becomes its digital layer over the same
    /// parameters, so the network computes exactly what it did before conversion, with the same state dict.
    /// </summary>
    [Theory]
    [InlineData("lenet5")]
    [InlineData("mlp")]
    [InlineData("resnet20")]
    public void ConversionAndTheWayBackLeaveTheFloatNetwork(string name)
    {
        using var scope = NewDisposeScope();
        manual_seed(4);
        var model = new ModelSpec(name, 1, 28, 28, 10).Build();
        model.eval();
        var x = randn(4, 1, 28, 28);
        var before = model.call(x);
        var keys = model.state_dict().Keys.ToList();
        var weights = model.parameters().ToList();
        AnalogConversion.Convert(model, Exact);
        AnalogConversion.CalibrateInputs(model, x);
        Assert.False(TensorAssert.Same(model.call(x), before));      // the quantized hardware computes otherwise
        AnalogConversion.ToDigital(model);
        Assert.Empty(AnalogConversion.Layers(model));
        Assert.True(TensorAssert.Same(model.call(x), before));
        Assert.Equal(keys, model.state_dict().Keys.ToList());
        Assert.True(weights.Zip(model.parameters()).All(p => ReferenceEquals(p.First, p.Second)), "the parameters are the same tensors");
    }

    /// <summary>A layer type of one's own joins the conversion map (here a Linear subclass that maps to an analog layer of its width).</summary>
    [Fact]
    public void ALayerTypeOfOnesOwnJoinsTheConversionMap()
    {
        using var scope = NewDisposeScope();
        manual_seed(6);
        var model = nn.Sequential(("scaled", new Scaled(20, 5)));
        AnalogConversion.Map<Scaled>((n, s, hw) => new AnalogLinear(n, s.Inner.weight!, s.Inner.bias, hw));
        AnalogConversion.Convert(model, Exact);
        Assert.Single(AnalogConversion.Layers(model));
    }

    sealed class Scaled : nn.Module<Tensor, Tensor>
    {
        public readonly TorchSharp.Modules.Linear Inner;
        public Scaled(long i, long o) : base("Scaled") { Inner = nn.Linear(i, o); RegisterComponents(); }
        public override Tensor forward(Tensor x) => Inner.call(x);
    }

    [Fact]
    public void ADepthwiseSeparableNetworkRunsExactlyOnAnIdealCore()
    {
        using var scope = NewDisposeScope();
        manual_seed(5);
        // Depthwise 3x3 (groups = channels, dilation 2) then pointwise 1x1: a MobileNet block.
        var model = nn.Sequential(("dw", nn.Conv2d(4, 4, 3, padding: 2, dilation: 2, groups: 4)), ("relu", nn.ReLU()), ("pw", nn.Conv2d(4, 8, 1)));
        model.eval();
        var x = randn(3, 4, 9, 9);
        var floatOut = model.call(x);
        AnalogConversion.Convert(model, Exact);
        var dw = (AnalogConv2d)AnalogConversion.Layers(model)[0];
        // The crossbar holds the block diagonal: each output channel sees only its own input channel's 3x3 taps.
        var w = dw.WeightMatrix();
        Assert.Equal(new long[] { 4, 36 }, w.shape);
        Assert.Equal(0f, w[0, TensorIndex.Slice(9, 36)].abs().sum().item<float>());
        Assert.True(allclose(w[1, TensorIndex.Slice(9, 18)], dw.weight[1].flatten(), 0, 0));
        AnalogConversion.SetExecution(model, Execution.Float);
        Assert.True(allclose(floatOut, model.call(x), 1e-5, 1e-6));
        AnalogConversion.CalibrateInputs(model, x);
        AnalogConversion.SetExecution(model, Execution.QuantizedDigital);
        var quantized = model.call(x);
        AnalogConversion.SetExecution(model, Execution.Analog);
        Assert.True(TensorAssert.Same(model.call(x), quantized), "analog grouped convolution differs from the quantized network");
    }

    [Fact]
    public void GradientsReachFloatWeightsThroughTheAnalogLayers()
    {
        var model = new ModelSpec("lenet5", 1, 28, 28, 10).Build();
        AnalogConversion.Convert(model, HardwareConfig.Load(Repo.Path("configs", "puma-reference.json")));
        model.train();
        var x = randn(4, 1, 28, 28);
        var loss = nn.functional.cross_entropy(model.call(x), tensor(new long[] { 1, 2, 3, 4 }));
        loss.backward();
        foreach (var l in AnalogConversion.Layers(model))
            Assert.True(l.weight.grad is { } g && g.abs().sum().item<float>() > 0, $"{l.LayerName} got no gradient");
    }

    [Fact]
    public void ChipsAreReproducibleAndDiffer()
    {
        using var scope = NewDisposeScope();
        var model = new ModelSpec("mlp", 1, 28, 28, 10).Build();
        model.eval();
        AnalogConversion.Convert(model, HardwareConfig.Load(Repo.Path("configs", "puma-reference.json")) with
        {
            Cell = new CellConfig { Kind = CellKind.Rram, ProgrammingSigma = 0.05 },
        });
        var x = randn(16, 1, 28, 28);
        AnalogConversion.CalibrateInputs(model, x);
        using var g = no_grad();
        AnalogConversion.Program(model, 3);
        var a = model.call(x);
        AnalogConversion.Program(model, 3);
        var b = model.call(x);
        AnalogConversion.Program(model, 4);
        var c = model.call(x);
        Assert.True(TensorAssert.Same(a, b));
        Assert.False(TensorAssert.Same(a, c));
    }

    [Fact]
    public void ASequentialModelConvertsAndKeepsItsOutputOnAnIdealCore()
    {
        using var scope = NewDisposeScope();
        manual_seed(4);
        var model = nn.Sequential(("fc1", nn.Linear(20, 8)), ("relu", nn.ReLU()), ("fc2", nn.Linear(8, 3)));
        var names = model.state_dict().Keys.ToList();
        var x = rand(5, 20);
        var before = model.call(x);
        AnalogConversion.Convert(model, HardwareConfig.Parse("""{ "core": { "rows": 64, "columns": 64 } }"""));
        Assert.Equal(2, AnalogConversion.Layers(model).Count);
        Assert.Equal(names, model.state_dict().Keys.ToList());
        AnalogConversion.SetExecution(model, Execution.Float);
        Assert.True(allclose(before, model.call(x)));
    }

    [Fact]
    public void TypedFieldsThatCannotHoldAnAnalogLayerGiveAClearError()
    {
        var model = new TypedModel();
        var e = Assert.Throws<ImcInputException>(() => AnalogConversion.Convert(model, Exact));
        Assert.Contains("fc", e.Message);
    }

    /// <summary>
    /// The quantized reference of a convolution runs as float32 convolutions over groups of channels
    /// whose integer sums stay below 2^24 (all channels at 6-bit inputs and 4-bit weights; 57 of 64
    /// at 8 and 8 bits, then 7): it must equal the float64 product of the unfolded quantized
    /// inputs exactly, strided, padded, dilated and grouped alike.
    /// </summary>
    [Theory]
    [InlineData(1L, 1L, 1L, 1L, 8L, 6, 4)]
    [InlineData(2L, 0L, 1L, 1L, 8L, 6, 4)]
    [InlineData(1L, 2L, 2L, 1L, 8L, 6, 4)]
    [InlineData(1L, 1L, 1L, 4L, 8L, 6, 4)]     // grouped: the crossbar holds the block-diagonal matrix
    [InlineData(1L, 1L, 1L, 1L, 64L, 8, 8)]    // two groups of channels, added in float64
    public void TheQuantizedConvolutionEqualsTheFloat64ProductOfTheUnfoldedInputs(long stride, long padding, long dilation, long groups, long channels, int inputBits, int weightBits)
    {
        using var scope = NewDisposeScope();
        manual_seed(9);
        var exact = Tests.Crossbar.HardwareFixtures.Exact(WeightMapping.Differential, InputMode.Dac);
        var hw = exact with { Core = exact.Core with { InputBits = inputBits, WeightBits = weightBits } };
        // At 8 and 8 bits: near-full-scale inputs and weights, so a sum passes 2^24 (float32 alone would round it).
        bool large = weightBits == 8;
        var weight = large ? 1 + 0.01 * rand(8, channels / groups, 3, 3) : randn(8, channels / groups, 3, 3);
        var conv = new AnalogConv2d("conv", new TorchSharp.Modules.Parameter(weight), new TorchSharp.Modules.Parameter(randn(8)),
            new[] { stride, stride }, new[] { padding, padding }, new[] { dilation, dilation }, hw, groups) { Execution = Execution.QuantizedDigital };
        var x = large ? 1 + 0.01 * rand(5, channels, 11, 9) : randn(5, channels, 11, 9).relu();
        using var g = no_grad();
        var y = conv.call(x);
        // The reference, by hand: quantized unfolded inputs times the quantized matrix, in float64.
        double xs = conv.InputScale;
        var xq = ImcSharp.Crossbar.InputEncoding.Quantize(x, xs, inputBits, false);
        var (wq, ws) = ImcSharp.Crossbar.WeightSlicing.Quantize(conv.WeightMatrix(), weightBits);
        var geometry = new ImcSharp.Crossbar.ConvGeometry(channels, 3, 3, new[] { stride, stride }, new[] { padding, padding }, new[] { dilation, dilation });
        var products = geometry.Unfold(xq).to_type(ScalarType.Float64).matmul(wq.to_type(ScalarType.Float64).t());
        var rows = products.to_type(ScalarType.Float32).mul_((float)(ws * xs)).add_(conv.bias!);
        Assert.True(TensorAssert.Same(y, geometry.ToImages(rows, xq)));
        if (large) Assert.True(products.abs().max().item<double>() > 1 << 24, "no sum past 2^24: the test would not show the float64 addition");
    }

    [Theory]
    [InlineData(float.NaN)]
    [InlineData(float.PositiveInfinity)]
    [InlineData(float.NegativeInfinity)]
    public void WeightsThatAreNotFiniteGiveAClearErrorWhenProgrammed(float bad)
    {
        using var scope = NewDisposeScope();
        manual_seed(2);
        using var model = new ModelSpec("lenet5", 1, 28, 28, 10).Build();
        AnalogConversion.Convert(model, Exact);
        var fc1 = AnalogConversion.Layers(model).Single(l => l.LayerName == "fc1");
        using (no_grad()) fc1.weight[3, 7] = tensor(bad);
        var e = Assert.Throws<ImcInputException>(() => AnalogConversion.Program(model, 0));
        Assert.Contains("fc1", e.Message);
        Assert.Contains("not all finite", e.Message);
    }

    sealed class TypedModel : nn.Module<Tensor, Tensor>
    {
        private readonly TorchSharp.Modules.Linear fc = nn.Linear(4, 2);
        public TypedModel() : base("Typed") { RegisterComponents(); }
        public override Tensor forward(Tensor x) => fc.call(x);
    }
}
