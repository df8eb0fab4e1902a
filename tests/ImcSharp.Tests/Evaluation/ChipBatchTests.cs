using ImcSharp.Config;
using ImcSharp.Models;
using ImcSharp.Nn;
using TorchSharp;
using static TorchSharp.torch;

namespace ImcSharp.Tests.Evaluation;

/// <summary>Chips programmed together (a stack) give each chip's own outputs, bit for bit.</summary>
public class ChipBatchTests
{
    public static IEnumerable<object[]> Designs()
    {
        // Read noise and digital subtraction (CCO grid, several tiles in fc1); column offsets (SAR);
        // bit-serial inputs in phases; temporal ADC noise; an offset trim measured per chip.
        yield return new object[] { "experiments/hw/current-rram-cco-realistic.json", 0.0, "lenet5" };
        yield return new object[] { "experiments/hw/charge-cap-sar-realistic.json", 0.0, "lenet5" };
        yield return new object[] { "configs/puma-reference.json", 0.0, "lenet5" };
        yield return new object[] { "experiments/hw/current-rram-cco.json", 0.4, "mlp" };
        yield return new object[] { "experiments/hw/current-rram-cco-realistic-trim.json", 0.0, "lenet5" };
        // Aged cells read at 4 months with drift compensation (tile scales) and the trim taken at programming.
        yield return new object[] { "aged", 0.0, "lenet5" };
    }

    [Theory]
    [MemberData(nameof(Designs))]
    public void AStackOfChipsGivesEachChipsOwnOutputs(string design, double adcNoise, string net)
    {
        using var scope = NewDisposeScope();
        var hw = design == "aged" ? Aged() : HardwareConfig.Load(Repo.Path(design));
        if (adcNoise > 0) hw = hw with { Adc = hw.Adc with { Variation = hw.Adc.Variation with { NoiseSigma = adcNoise } } };
        // 100 images: the bit-serial and multi-column layers run in several chunks, whose noise must line up per chip.
        var x = randn(new long[] { 100, 1, 28, 28 }, generator: new Generator(3));
        manual_seed(1);
        using var model = new ModelSpec(net, 1, 28, 28, 10).Build();
        AnalogConversion.Convert(model, hw);
        AnalogConversion.CalibrateInputs(model, x);
        model.eval();
        var chips = new (long Chip, int? Corner)[] { (4, 0), (5, 1), (9, 0) };
        var alone = new List<Tensor>();
        using (no_grad())
        {
            foreach (var c in chips)
            {
                AnalogConversion.Program(model, c.Chip, c.Corner);
                // Two forwards: the second reads the chip's noise streams where the first left them.
                alone.Add(cat(new[] { model.call(x), model.call(x.narrow(0, 0, 40)) }, 0).MoveToOuterDisposeScope());
            }
            AnalogConversion.ProgramChips(model, chips);
            Assert.All(AnalogConversion.Layers(model), l => Assert.Equal(3, l.Chip!.Chips));
            var first = model.call(x.repeat(3, 1, 1, 1)).view(3, 100, 10);
            var second = model.call(x.narrow(0, 0, 40).repeat(3, 1, 1, 1)).view(3, 40, 10);
            for (int k = 0; k < chips.Length; k++)
            {
                var together = cat(new[] { first[k], second[k] }, 0);
                Assert.True(TensorAssert.Same(alone[k], together),
                    $"{design}: chip {chips[k].Chip} in a stack differs from alone by {(alone[k] - together).abs().max().item<float>()}");
            }
        }
        // Distinct chips: the stack did not run one chip three times.
        Assert.False(TensorAssert.Same(alone[0], alone[1]));
    }

    static HardwareConfig Aged()
    {
        var hw = HardwareConfig.Load(Repo.Path("experiments/hw/current-rram-cco-realistic-trim.json"));
        return hw with
        {
            Cell = hw.Cell with
            {
                DriftNu = 0.05, DriftNuSigma = 0.02, ReadNoiseTRead = 250e-9, DriftCompensation = true, ReadTime = 1e7,
            },
        };
    }

    /// <summary>A plug-in stage written for one chip (it does not take stacks): 3% droop on every column.</summary>
    sealed class OneChipDroop : ImcSharp.Crossbar.IArrayStage
    {
        public string Solver => "test-one-chip-droop";
        public Tensor PartialSums(ImcSharp.Crossbar.ProgrammedLayer layer, Tensor digits)
        {
            Assert.Equal(1, layer.Chips);
            return ImcSharp.Crossbar.FirstOrderArray.Instance.PartialSums(layer, digits).mul_(0.97f);
        }
    }

    [Fact]
    public void AStageForOneChipIsCalledOncePerChipOfAStack()
    {
        using var scope = NewDisposeScope();
        var solver = ImcSharp.Tests.Crossbar.ArrayStageTests.Registered(new OneChipDroop()).Solver;
        var hw = HardwareConfig.Load(Repo.Path("experiments/hw/current-rram-cco-realistic.json"));
        hw = hw with { Array = hw.Array with { Solver = solver } };
        var x = randn(new long[] { 64, 1, 28, 28 }, generator: new Generator(5));
        manual_seed(1);
        using var model = new ModelSpec("mlp", 1, 28, 28, 10).Build();
        AnalogConversion.Convert(model, hw);
        AnalogConversion.CalibrateInputs(model, x);
        model.eval();
        var chips = new (long Chip, int? Corner)[] { (2, 0), (3, 1) };
        using (no_grad())
        {
            var alone = chips.Select(c => { AnalogConversion.Program(model, c.Chip, c.Corner); return model.call(x).MoveToOuterDisposeScope(); }).ToArray();
            AnalogConversion.ProgramChips(model, chips);
            var together = model.call(x.repeat(2, 1, 1, 1)).view(2, 64, 10);
            for (int k = 0; k < 2; k++) Assert.True(TensorAssert.Same(alone[k], together[k]));
        }
    }

    [Fact]
    public void AStackRefusesTrainingAndMismatchedBatches()
    {
        using var scope = NewDisposeScope();
        var hw = HardwareConfig.Load(Repo.Path("experiments/hw/charge-cap-sar-realistic.json"));
        manual_seed(1);
        using var model = new ModelSpec("mlp", 1, 28, 28, 10).Build();
        AnalogConversion.Convert(model, hw);
        var x = randn(new long[] { 10, 1, 28, 28 });
        AnalogConversion.CalibrateInputs(model, x);
        AnalogConversion.ProgramChips(model, new (long, int?)[] { (0, 0), (1, 1) });
        model.eval();
        using (no_grad()) Assert.Throws<ArgumentException>(() => model.call(x.narrow(0, 0, 9)));
        model.train();
        Assert.Throws<NotSupportedException>(() => model.call(x));
    }
}
