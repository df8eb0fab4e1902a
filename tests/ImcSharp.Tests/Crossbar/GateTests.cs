using ImcSharp.Config;
using ImcSharp.Converters;
using ImcSharp.Crossbar;
using ImcSharp.Models;
using ImcSharp.Nn;
using ImcSharp.Nn.Aware;
using static TorchSharp.torch;

namespace ImcSharp.Tests.Crossbar;

/// <summary>The one-pass training gate (<see cref="ImcSharp.Nn.Aware.GateKernel"/>) gives the torch path's gate bit for bit.</summary>
public class GateTests
{
    public static IEnumerable<object[]> Designs()
    {
        // Digital subtraction with per-column low codes (CCO), a SAR with column offsets, bit-serial
        // inputs on eight slices, the shared DAC setting (signed inputs: a negative phase), analog
        // subtraction on two slices.
        foreach (var design in new[] { "experiments/hw/current-rram-cco-realistic.json", "experiments/hw/charge-cap-sar-realistic.json",
                     "configs/puma-reference.json", "configs/compare/256-dac-6b.json", "experiments/hw/current-rram-cco.json" })
        foreach (var mode in new[] { AdcGradient.Identity, AdcGradient.MeanSlope })
            yield return new object[] { design, mode };
    }

    [Theory]
    [MemberData(nameof(Designs))]
    public void TheOnePassGateIsTheTorchPathsGate(string design, AdcGradient mode)
    {
        using var scope = NewDisposeScope();
        var hw = HardwareConfig.Load(Repo.Path(design)).For("fc1");
        var (wq, ws) = WeightSlicing.Quantize(randn(new long[] { 13, 300 }, generator: new Generator(2)), hw.Core.WeightBits);
        double q = InputEncoding.QuantMax(hw.Core.InputBits, true);
        // 333 rows: several blocks of rows per tile, the last one partial.
        var xq = randint((long)-q, (long)q + 1, new long[] { 333, 300 }, generator: new Generator(3)).to_type(ScalarType.Float32);
        var gates = new Tensor[2];
        for (int k = 0; k < 2; k++)
        {
            using var chip = new ProgrammedLayer(wq, ws, hw, 7, target: k == 0 ? ComputeTarget.Cpu : ComputeTarget.Reference);
            using var collector = new AdcGate.Collector(chip, mode, true);
            AnalogMvm.Forward(chip, xq, true, collector.Observe);
            gates[k] = collector.Gate.MoveToOuterDisposeScope();
        }
        Assert.True(TensorAssert.Same(gates[0], gates[1]));
        // A real gate: some sums inside the range and, for most designs, some outside.
        Assert.True(gates[0].gt(0).any().item<bool>());
    }

    /// <summary>A whole training step's gradients are the same with and without the CPU kernels.</summary>
    [Theory]
    [InlineData("experiments/hw/current-rram-cco-realistic.json")]
    [InlineData("configs/compare/256-dac-6b.json")]
    public void TrainingGradientsAreTheSameWithoutTheKernels(string design)
    {
        using var scope = NewDisposeScope();
        var hw = HardwareConfig.Load(Repo.Path(design));
        var x = randn(new long[] { 16, 1, 28, 28 }, generator: new Generator(3));
        var y = randint(0, 10, new long[] { 16 }, generator: new Generator(4));
        var grads = new Tensor[2][];
        for (int k = 0; k < 2; k++)
        {
            manual_seed(1);
            using var model = new ModelSpec("lenet5", 1, 28, 28, 10).Build();
            AnalogConversion.Convert(model, hw);
            foreach (var l in AnalogConversion.Layers(model)) l.CpuKernels = k == 0;
            AnalogConversion.CalibrateInputs(model, x);
            AnalogConversion.Program(model, 4);
            model.train();
            nn.functional.cross_entropy(model.call(x), y).backward();
            grads[k] = model.parameters().Select(p => p.grad!.clone().MoveToOuterDisposeScope()).ToArray();
        }
        for (int i = 0; i < grads[0].Length; i++) Assert.True(TensorAssert.Same(grads[0][i], grads[1][i]), $"parameter {i}");
    }
}
