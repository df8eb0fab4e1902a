using ImcSharp.Config;
using ImcSharp.Crossbar;
using ImcSharp.Models;
using ImcSharp.Nn;
using static TorchSharp.torch;

namespace ImcSharp.Tests.Crossbar;

/// <summary>The gain registers' equations: z' = g z + o in the back end, and moment matching.</summary>
public class OutputGainTests
{
    [Fact]
    public void TheBackEndAppliesTheRegistersToTheIntegerSums()
    {
        using var scope = NewDisposeScope();
        var hw = HardwareConfig.Load(Repo.Path("configs/ideal-exact.json"));
        var x = randn(new long[] { 16, 1, 28, 28 }, generator: new Generator(1));
        manual_seed(2);
        using var model = new ModelSpec("lenet5", 1, 28, 28, 10).Build();
        AnalogConversion.Convert(model, hw);
        AnalogConversion.CalibrateInputs(model, x);
        model.eval();
        AnalogConversion.Program(model, 0);
        var layer = AnalogConversion.Layers(model).Last();            // fc3: a bias, 10 outputs
        Tensor? input = null;
        var seen = new List<Tensor>();
        layer.OutputHook = (_, y) => { seen.Add(y.clone().MoveToOuterDisposeScope()); return y; };
        var probe = AnalogConversion.Layers(model)[^2];
        probe.OutputHook = (_, y) => { input = y.clone().MoveToOuterDisposeScope(); return y; };
        using (no_grad()) model.call(x);
        var g = linspace(0.5, 1.5, 10);
        var o = arange(-5, 5).to_type(ScalarType.Float32);
        layer.Chip!.OutputGain = new GainRegisters(g, o);
        using (no_grad()) model.call(x);
        double s = (float)(layer.Chip.WeightScale * layer.InputScale);
        var expected = seen[0].sub(layer.bias!).mul(g).add(o.mul(s)).add(layer.bias!);
        Assert.NotNull(input);
        Assert.True(seen[1].allclose(expected, rtol: 1e-5, atol: 1e-5 * seen[0].abs().max().item<float>()),
            $"off by {(seen[1] - expected).abs().max().item<float>()}");
    }

    [Fact]
    public void MomentMatchingUndoesAnAffineErrorToTheRegistersStep()
    {
        using var scope = NewDisposeScope();
        // A reference output and the chip's: y_c = a (y_r - b) + c + b per output (4 outputs, 2x2 pixels).
        var yr = randn(new long[] { 500, 4, 2, 2 }, generator: new Generator(3)).mul_(3).add_(1);
        var bias = tensor(new[] { 0.5f, -1f, 0f, 2f });
        var a = tensor(new[] { 0.81f, 0.9f, 1.04f, 1.2f }).view(1, 4, 1, 1);
        var c = tensor(new[] { -0.3f, 0.2f, 0.05f, -1f }).view(1, 4, 1, 1);
        var b4 = bias.view(1, 4, 1, 1);
        var yc = yr.sub(b4).mul(a).add(c).add(b4);
        const double s = 0.01;
        var (mc, sc) = OutputGainCalibration.Moments(yc, 1);
        var (mr, sr) = OutputGainCalibration.Moments(yr, 1);
        using var r = OutputGainCalibration.Solve(mc, sc, mr, sr, bias, s);
        var step = Math.Pow(2, -OutputGainCalibration.GainFractionBits);
        // g = 1 / a to the register's step.
        Assert.True(r.Gain.view(-1).to_type(ScalarType.Float64)
            .allclose(a.view(-1).to_type(ScalarType.Float64).reciprocal().div(step).round().mul(step), atol: 1e-9));
        Assert.True(r.Offset.eq(r.Offset.round()).all().item<bool>());
        var back = OutputGainCalibration.Apply(yc, r, bias, s, 1);
        // Left: the gain's rounding (half a step of the spread) and the offset's (half of s).
        var bound = sr.max().item<double>() * 4 * step + s;
        Assert.True((back - yr).abs().max().item<float>() < 8 * bound);
        var (mb, sb) = OutputGainCalibration.Moments(back, 1);
        Assert.True(mb.sub(mr).abs().max().item<double>() < s);
        Assert.True(sb.div(sr).sub(1).abs().max().item<double>() < step / 0.81);
    }
}
