using ImcSharp.Config;
using ImcSharp.Converters;
using ImcSharp.Crossbar;
using ImcSharp.Nn;
using ImcSharp.Nn.Aware;
using ImcSharp.Tests.Crossbar;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace ImcSharp.Tests.Nn;

public class AwareGradientTests
{
    static AnalogLinear Layer(LayerHardware hw, long outputs = 12, long inputs = 150, int seed = 1)
    {
        manual_seed(seed);
        var w = new Parameter(randn(outputs, inputs) * 0.1);
        var b = new Parameter(randn(outputs) * 0.1);
        return new AnalogLinear("fc", w, b, hw);
    }

    [Theory]
    [InlineData(InputMode.Dac, Subtraction.Analog)]
    [InlineData(InputMode.BitSerial, Subtraction.Analog)]
    [InlineData(InputMode.Dac, Subtraction.Digital)]
    [InlineData(InputMode.BitSerial, Subtraction.Digital)]
    public void OnALosslessCoreTheGradientIsTheQuantizedMatmuls(InputMode mode, Subtraction subtract)
    {
        using var scope = NewDisposeScope();
        var hw = HardwareFixtures.Exact(WeightMapping.Differential, mode, subtract: subtract);          // 64 rows: 150 inputs take 3 tiles
        var layer = Layer(hw);
        var x = rand(5, 150);
        layer.CalibrateInput(x);
        layer.Program(1);
        var r = randn(5, 12);
        var y = layer.call(x);
        (y * r).sum().backward();
        // Analytic: y = xq s_x (Wq s_w)^T + b with straight-through quantizers, every gate 1.
        var xq = InputEncoding.Quantize(x, layer.InputScale, hw.Core.InputBits, false) * layer.InputScale;
        var (wq, ws) = WeightSlicing.Quantize(layer.weight.detach(), hw.Core.WeightBits);
        Assert.True(allclose(layer.weight.grad!, r.t().matmul(xq), 1e-5, 1e-5), "weight gradient");
        Assert.True(allclose(layer.bias!.grad!, r.sum(new long[] { 0 }), 1e-5, 1e-5), "bias gradient");
        var xr = x.clone().requires_grad_(true);
        (layer.call(xr) * r).sum().backward();
        Assert.True(allclose(xr.grad!, r.matmul(wq * ws), 1e-5, 1e-5), "input gradient");
    }

    [Fact]
    public void PartialSumsOutsideTheAdcRangeGetNoGradient()
    {
        using var scope = NewDisposeScope();
        var hw = HardwareFixtures.Exact(WeightMapping.Differential, InputMode.Dac) with
        {
            Core = new CoreConfig { Rows = 64, Columns = 64, WeightBits = 8, BitsPerCell = 8, InputBits = 6, InputMode = InputMode.Dac },   // one slice: no all-zero slice columns
            Adc = new AdcConfig { Bits = 3, Range = new AdcRange { Mode = AdcRangeMode.Exact } },   // +-4 units: everything saturates
        };
        var layer = Layer(hw, inputs: 60);
        var x = rand(4, 60) + 0.5;
        layer.CalibrateInput(x);
        layer.Program(1);
        var y = layer.call(x);
        y.sum().backward();
        Assert.Equal(0f, layer.weight.grad!.abs().sum().item<float>());
        // With a range that holds every partial sum, the same layer has a gradient.
        var wide = Layer(hw with { Adc = new AdcConfig { Bits = 16, Range = new AdcRange { Mode = AdcRangeMode.Exact } } }, inputs: 60);
        wide.CalibrateInput(x);
        wide.call(x).sum().backward();
        Assert.True(wide.weight.grad!.abs().sum().item<float>() > 0);
    }

    [Fact]
    public void MeanSlopeGateFollowsTheAdcGain()
    {
        using var scope = NewDisposeScope();
        AdcConfig Flash(double gain) => new AdcConfig
        {
            Kind = "flash", Bits = 10, Range = new AdcRange { Mode = AdcRangeMode.Exact },
            Corners = new List<AdcCorner> { new() { Name = "corner", Gain = gain } },
        }.With(new FlashParams { ComparatorSigma = 0 });
        (Tensor Identity, Tensor Slope) Gradients(double gain)
        {
            var hw = HardwareFixtures.Exact(WeightMapping.Differential, InputMode.Dac, inputBits: 3) with { Adc = Flash(gain) };
            var identity = Layer(hw, inputs: 4);
            var slope = Layer(hw, inputs: 4);
            slope.Gradient = AdcGradient.MeanSlope;
            var x = rand(new long[] { 3, 4 }, generator: new Generator(5));
            foreach (var l in new[] { identity, slope }) { l.CalibrateInput(x); l.Program(1, corner: 0); l.call(x).sum().backward(); }
            return (identity.weight.grad!, slope.weight.grad!);
        }
        // Gain 1: mean slope is 1 code per LSB, the two estimators agree.
        var (i1, s1) = Gradients(0);
        Assert.True(i1.abs().sum().item<float>() > 0);
        Assert.True(allclose(i1, s1, 1e-5, 1e-5));
        // Thresholds on a 0.8x grid (gain error -20%): 1.25 codes per LSB, so the mean-slope gradient is 1.25x the identity one
        // (3-bit inputs on 4 rows keep every partial sum, |sum| <= 84, inside the compressed range, which now ends at +307).
        var (i8, s8) = Gradients(-0.2);
        var ratio = (s8 / i8.where(i8.abs().gt(1e-6f), ones_like(i8))).flatten();
        Assert.True(allclose(s8, i8 * 1.25, 1e-4, 1e-5), $"ratio min {ratio.min().item<float>()} max {ratio.max().item<float>()} mean {ratio.mean().item<float>()} identity sum {i8.abs().sum().item<float>()} vs gain-1 {i1.abs().sum().item<float>()}; max |slope - 1.25 identity| = {(s8 - i8 * 1.25).abs().max().item<float>()}");
    }

    [Fact]
    public void CalibratedAdcRangeIsThePercentileOfThePartialSums()
    {
        using var scope = NewDisposeScope();
        var hw = HardwareFixtures.Exact(WeightMapping.Differential, InputMode.Dac, bitsPerCell: 8, inputBits: 6) with
        {
            Core = new CoreConfig { Rows = 64, Columns = 64, WeightBits = 8, BitsPerCell = 8, InputBits = 6, InputMode = InputMode.Dac },
            Adc = new AdcConfig { Bits = 7, Range = new AdcRange { Mode = AdcRangeMode.Calibrated, Percentile = 100 } },
        };
        var layer = Layer(hw, inputs: 50);
        var model = nn.Sequential(("fc", layer));
        var x = rand(64, 50);
        AnalogConversion.CalibrateInputs(model, x);
        var c = layer.Calibration!;
        // One slice, one cycle: the partial sums are the integer products xq . Wq of the one tile.
        var xq = InputEncoding.Quantize(x, layer.InputScale, 6, false);
        var (wq, _) = WeightSlicing.Quantize(layer.weight.detach(), 8);
        double max = xq.matmul(wq.t()).abs().max().item<float>();
        // Symmetric mid-tread range: top of the range max|P|, LSB = max / 2^(N-1), code 0 at -2^(N-1) LSB.
        var range = Assert.Single(c.AdcRanges!);
        Assert.Equal(max / 64, range.Lsb, 4);
        Assert.Equal(-64, range.LowCode, 9);
        Assert.True(max < 0.5 * ArrayPhysics.FullScaleUnits(hw.Core), "typical partial sums use a small part of the full scale");
    }

    /// <summary>A training forward (with gradients) of a whole network gives the value an evaluation forward gives, bit for bit.</summary>
    [Fact]
    public void ATrainingForwardGivesTheEvaluationValue()
    {
        using var scope = NewDisposeScope();
        manual_seed(3);
        using var model = new ImcSharp.Models.ModelSpec("lenet5", 1, 28, 28, 10).Build();
        AnalogConversion.Convert(model, HardwareConfig.Load(Repo.Path("configs/compare/256-dac-6b.json")));
        var x = randn(new long[] { 6, 1, 28, 28 }, generator: new Generator(5));
        AnalogConversion.CalibrateInputs(model, x);
        AnalogConversion.Program(model, 1);
        Tensor evaluated;
        using (no_grad()) evaluated = model.call(x);
        var trained = model.call(x);
        Assert.True(trained.requires_grad);
        Assert.True(TensorAssert.Same(trained, evaluated));
        nn.functional.cross_entropy(trained, tensor(new long[] { 0, 1, 2, 3, 4, 5 })).backward();
        Assert.True(AnalogConversion.Layers(model).All(l => l.weight.grad is { } g && g.abs().sum().item<float>() > 0));
    }

    /// <summary>
    /// The straight-through nodes give what torch's operations gave before them, bit for bit: the
    /// inputs clamp(x) + (Quantize(clamp x) s - clamp x).detach(), the weights W + (Quantize(W) s - W).detach(),
    /// the output hw + (sur - sur.detach()) with sur = conv(x~, W~) G + b.
    /// </summary>
    [Theory]
    [InlineData(true, true)]
    [InlineData(false, true)]
    [InlineData(true, false)]
    public void TheStraightThroughNodesGiveTorchsValuesAndGradients(bool signed, bool kernels)
    {
        using var scope = NewDisposeScope();
        double step = 0.05, q = InputEncoding.QuantMax(6, signed);
        var x = randn(new long[] { 4, 3, 7, 7 }, generator: new Generator(8)).mul_(2).permute(0, 2, 3, 1).contiguous().permute(0, 3, 1, 2);
        var w = randn(new long[] { 5, 3, 3, 3 }, generator: new Generator(9));
        var hw = randn(new long[] { 4, 5, 5, 5 }, generator: new Generator(10));
        var r = randn(new long[] { 4, 5, 5, 5 }, generator: new Generator(11));
        var gate = randn(new long[] { 4, 5, 5, 5 }, generator: new Generator(12)).clamp_min_(0);   // zero for about half the sums
        var b = randn(new long[] { 5 }, generator: new Generator(13));
        (Tensor Y, Tensor Dx, Tensor Dw, Tensor Db) Run(bool nodes)
        {
            var xr = x.clone().requires_grad_(true);
            var wr = w.clone().requires_grad_(true);
            var br = b.clone().requires_grad_(true);
            Tensor xt;
            if (nodes) xt = StraightThrough.Inputs(xr, step, 6, signed, kernels ? ComputeTarget.Cpu : ComputeTarget.Reference);
            else
            {
                var c = xr.clamp(signed ? -q * step : 0, q * step);
                xt = c + (InputEncoding.Quantize(c.detach(), step, 6, signed).mul_(step) - c.detach());
            }
            Tensor wt;
            if (nodes) wt = StraightThrough.Weights(wr, 4, kernels ? ComputeTarget.Cpu : ComputeTarget.Reference);
            else
            {
                var (wq, ws) = WeightSlicing.Quantize(wr.detach(), 4);
                wt = wr + (wq.mul(ws) - wr).detach();
            }
            var conv = nn.functional.conv2d(xt, wt);
            Tensor y;
            if (nodes) y = StraightThrough.Output(hw, new (Tensor, Tensor?)[] { (conv, gate), (br.view(1, -1, 1, 1), null) });
            else
            {
                var sur = conv.mul(gate).add_(br.view(1, -1, 1, 1));
                y = hw + (sur - sur.detach());
            }
            (y * r).sum().backward();
            return (y.detach(), xr.grad!, wr.grad!, br.grad!);
        }
        var (y0, dx0, dw0, db0) = Run(false);
        var (y1, dx1, dw1, db1) = Run(true);
        Assert.True(TensorAssert.Same(y1, hw));
        Assert.True(TensorAssert.Same(y1, y0));
        Assert.True(TensorAssert.Same(dx1, dx0), "input gradient");
        Assert.True(TensorAssert.Same(dw1, dw0), "weight gradient");
        Assert.True(TensorAssert.Same(db1, db0), "bias gradient");
        Assert.True(dx1.eq(0).any().item<bool>() && dx1.ne(0).any().item<bool>(), "some inputs are clipped, some are not");
    }

    /// <summary>Quantized-digital training: the value is the quantized layer's, the gradient the float layer's (its surrogate).</summary>
    [Fact]
    public void QuantizedDigitalTrainingHasTheFloatLayersGradient()
    {
        using var scope = NewDisposeScope();
        var layer = Layer(HardwareFixtures.Exact(WeightMapping.Differential, InputMode.Dac));
        layer.Execution = Execution.QuantizedDigital;
        var x = rand(5, 150);
        layer.CalibrateInput(x);
        var r = randn(5, 12);
        Tensor evaluated;
        using (no_grad()) evaluated = layer.call(x);
        var xr = x.clone().requires_grad_(true);
        var y = layer.call(xr);
        Assert.True(TensorAssert.Same(y.detach(), evaluated));
        (y * r).sum().backward();
        Assert.True(allclose(layer.weight.grad!, r.t().matmul(x), 1e-5, 1e-5), "weight gradient");
        Assert.True(allclose(layer.bias!.grad!, r.sum(new long[] { 0 }), 1e-5, 1e-5), "bias gradient");
        Assert.True(allclose(xr.grad!, r.matmul(layer.weight.detach()), 1e-5, 1e-5), "input gradient");
    }
}
