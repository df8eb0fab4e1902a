using ImcSharp.Config;
using ImcSharp.Crossbar;
using ImcSharp.Nn;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace ImcSharp.Tests.Crossbar;

/// <summary>The array stage is replaceable per layer: a solver's partial sums reach the ADCs and the output.</summary>
public class ArrayStageTests
{
    /// <summary>A stand-in solver: the first-order sums scaled by an input-dependent droop 1 / (1 + a sum_r x_r), as a crude IR drop.</summary>
    sealed class Droop(double a) : IArrayStage
    {
        public int Calls { get; private set; }
        public Tensor PartialSums(ProgrammedLayer layer, Tensor digits)
        {
            Calls++;
            return FirstOrderArray.Instance.PartialSums(layer, digits).div(digits.sum(-1, keepdim: true).mul(a).add(1));
        }
    }

    static AnalogLinear Layer(LayerHardware hw)
    {
        manual_seed(3);
        return new AnalogLinear("fc", new Parameter(randn(6, 40) * 0.1), new Parameter(zeros(6)), hw);
    }

    [Fact]
    public void AReplacedStageFeedsTheAdcsAndTheFirstOrderOneIsTheDefault()
    {
        using var scope = NewDisposeScope();
        // One tile, DAC inputs in one cycle, 8-bit single-slice weights, exact 16-bit ADC: the output is the integer matmul of what the stage returns.
        var hw = HardwareFixtures.Exact(WeightMapping.Differential, InputMode.Dac, bitsPerCell: 8, inputBits: 6) with
        {
            Core = new CoreConfig { Rows = 64, Columns = 64, WeightBits = 8, BitsPerCell = 8, InputBits = 6, InputMode = InputMode.Dac },
        };
        var x = rand(new long[] { 5, 40 }, generator: new Generator(2));
        var first = Layer(hw);
        first.CalibrateInput(x);
        Assert.Same(FirstOrderArray.Instance, first.ArrayStage);
        var y1 = first.call(x);

        var droopy = Layer(hw);
        droopy.CalibrateInput(x);
        var stage = new Droop(0.001);
        droopy.ArrayStage = stage;
        var y2 = droopy.call(x);
        Assert.True(stage.Calls > 0);
        // Per sample: y2 = y1 / (1 + a sum_r xq_r) up to the exact ADC's rounding of each partial sum (one LSB of the integer domain).
        var xq = InputEncoding.Quantize(x, first.InputScale, 6, false);
        var droop = xq.sum(1, keepdim: true).mul(0.001).add(1);
        var (_, weightScale) = WeightSlicing.Quantize(first.weight.detach(), 8);
        var lsb = first.InputScale * weightScale;
        Assert.True((y2 - y1 / droop).abs().max().item<float>() <= 0.6 * lsb, $"max deviation {(y2 - y1 / droop).abs().max().item<float>()} vs LSB {lsb}");
        Assert.False(allclose(y1, y2));
    }
}
