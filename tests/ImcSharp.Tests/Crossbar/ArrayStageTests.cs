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

    /// <summary>A stage that only implements the matmul form: convolutions reach it unfolded (the interface's default).</summary>
    sealed class UnfoldOnly : IArrayStage
    {
        public Tensor PartialSums(ProgrammedLayer layer, Tensor digits) => FirstOrderArray.Instance.PartialSums(layer, digits);
    }

    public static IEnumerable<object[]> ConvCases()
    {
        // Analog subtraction with read noise; digital subtraction with column offsets (charge); bit-serial; saturating columns with signed inputs.
        yield return new object[] { "experiments/hw/current-rram-cco.json", false, 1L, 1L };
        yield return new object[] { "experiments/hw/charge-cap-sar-realistic.json", false, 2L, 1L };
        yield return new object[] { "configs/puma-reference.json", false, 1L, 4L };
        yield return new object[] { "saturating", true, 1L, 1L };
    }

    /// <summary>
    /// One convolution per tile (the first-order stage's path) gives the partial sums and outputs of
    /// the unfolded input vectors on the same chip: same cells, same read-noise draws (up to float
    /// summation order), for strided, dilated, padded and grouped convolutions over several tiles.
    /// </summary>
    [Theory]
    [MemberData(nameof(ConvCases))]
    public void ConvolutionPerTileEqualsTheUnfoldedVectors(string design, bool signedInputs, long dilation, long groups)
    {
        using var scope = NewDisposeScope();
        LayerHardware hw;
        if (design == "saturating")
        {
            hw = HardwareConfig.Load(Repo.Path("experiments/hw/current-rram-cco-realistic.json")).Defaults;
            hw = hw with { Core = hw.Core with { Rows = 64 }, Array = hw.Array with { MaxColumnCurrent = 20e-6 } };
        }
        else hw = HardwareConfig.Load(Repo.Path(design)).Defaults;
        manual_seed(11);
        // 16 channels of 3x3 (144 rows) over 64- or 128-row tiles: tiles cut through channels.
        var w = randn(10 * groups, 16 / groups, 3, 3) * 0.2;
        var x = randn(5, 16, 9, 8);
        if (!signedInputs) x = x.relu();
        var sums = new List<Tensor>[2];
        var outs = new Tensor[2];
        for (int k = 0; k < 2; k++)
        {
            var layer = new AnalogConv2d("conv", new Parameter(w.clone()), new Parameter(zeros(10 * groups)),
                new long[] { 2, 1 }, new long[] { 1, 2 }, new long[] { dilation, dilation }, hw, groups);
            if (k == 1) layer.ArrayStage = new UnfoldOnly();
            layer.CalibrateInput(x);
            var seen = sums[k] = new List<Tensor>();
            layer.PartialSumProbe = (_, p) => seen.Add(p.clone().DetachFromDisposeScope());
            layer.Program(5);
            using (no_grad()) outs[k] = layer.call(x);
            Assert.True(layer.Chip!.Tiles > 1, "the case must span several tiles");
        }
        Assert.Equal(sums[1].Count, sums[0].Count);
        for (int i = 0; i < sums[0].Count; i++)
        {
            sums[0][i].MoveToOtherDisposeScope(scope); sums[1][i].MoveToOtherDisposeScope(scope);
            Assert.Equal(sums[1][i].shape, sums[0][i].shape);
            double scale = sums[1][i].abs().max().item<float>();
            Assert.True(scale > 1, "partial sums too small to be meaningful");
            Assert.True((sums[0][i] - sums[1][i]).abs().max().item<float>() <= 1e-5 * scale, "partial sums differ beyond float rounding");
        }
        // A partial sum within rounding of a threshold may take the neighbouring code: at most one element in a thousand.
        double differing = outs[0].ne(outs[1]).to_type(ScalarType.Float32).mean().item<float>();
        Assert.True(differing <= 1e-3, $"{differing:P3} of the outputs differ");
    }
}
