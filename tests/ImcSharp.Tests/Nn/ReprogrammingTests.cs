using ImcSharp.Config;
using ImcSharp.Nn;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace ImcSharp.Tests.Nn;

/// <summary>Rewriting the weights of the same chip keeps its converters; another chip draws its own.</summary>
public class ReprogrammingTests
{
    [Fact]
    public void TheSameChipKeepsItsAdcBankAndGivesWhatAFreshProgrammingGives()
    {
        using var scope = NewDisposeScope();
        var hw = HardwareConfig.Load(Repo.Path("experiments/hw/current-rram-cco-realistic.json")).Defaults;
        manual_seed(2);
        var w = randn(30, 200) * 0.1;
        var x = rand(16, 200);
        var layer = new AnalogLinear("fc", new Parameter(w.clone()), null, hw);
        layer.CalibrateInput(x);
        layer.Program(11, 5, 2);
        var bank = layer.Chip!.Adc;
        using (no_grad()) layer.weight.mul_(0.9);       // an optimizer step
        layer.Program(11, 5, 2);
        Assert.Same(bank, layer.Chip!.Adc);
        Tensor y1;
        using (no_grad()) y1 = layer.call(x);
        // A layer programmed once with those weights on that chip draws the same bank and gives the same outputs.
        var fresh = new AnalogLinear("fc", new Parameter(w * 0.9), null, hw);
        fresh.CalibrateInput(x);
        fresh.InputRange = layer.InputRange;
        fresh.Program(11, 5, 2);
        Tensor y2;
        using (no_grad()) y2 = fresh.call(x);
        Assert.True(TensorAssert.Same(y1, y2), "a reprogrammed chip differs from the same chip programmed once");
        // Another chip, or the same chip in another corner, gets a bank of its own.
        layer.Program(12, 5, 2);
        Assert.NotSame(bank, layer.Chip!.Adc);
        var other = layer.Chip!.Adc;
        layer.Program(12, 5, 3);
        Assert.NotSame(other, layer.Chip!.Adc);
        using (no_grad()) Assert.Equal(16, layer.call(x).shape[0]);   // the banks handed on are alive, the dropped ones freed
    }
}
