using System.Text.Json.Nodes;
using ImcSharp.Config;
using ImcSharp.Crossbar;
using ImcSharp.Data;
using ImcSharp.Evaluation;
using ImcSharp.Models;
using ImcSharp.Nn;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace ImcSharp.Tests.Nn;

/// <summary>
/// Per-chip deployment compensation: gain registers matched to the digital network's moments, BatchNorm statistics
/// re-estimated on the chip.
/// </summary>
public class ChipCompensationTests
{
    static readonly Normalization Norm = new(new[] { 0.5f }, new[] { 0.25f });

    static ImageSet Images(int n, int side, int seed)
    {
        var g = new Generator((ulong)seed);
        return new ImageSet("synthetic", randint(0, 256, new long[] { n, 1, side, side }, generator: g)
            .to_type(ScalarType.Byte), randint(0, 10, new long[] { n }, generator: g), 10);
    }

    /// <summary>
    /// The realistic CCO design with the silicon converter's slopes against one counting window (primer section 7:
    /// nominal -10%, fast 0% and +4%, slow -15% and -19%), and the given compensation.
    /// </summary>
    static HardwareConfig Harsh(string? compensation)
    {
        var node = JsonNode.Parse(File.ReadAllText(Repo.Path("experiments/hw/current-rram-cco-realistic.json")))!;
        node["adc"]!["corners"] = JsonNode.Parse("""
            [{ "name": "Nom", "gain": -0.10 }, { "name": "C0", "gain": 0.0 }, { "name": "C1", "gain": 0.04 },
             { "name": "C2", "gain": -0.15 }, { "name": "C3", "gain": -0.19 }]
            """);
        if (compensation is not null) node["compensation"] = JsonNode.Parse(compensation);
        return HardwareConfig.Parse(node.ToJsonString(), "harsh.json");
    }

    static nn.Module<Tensor, Tensor> Deployed(string net, int side, HardwareConfig hw, Tensor calibration)
    {
        manual_seed(7);
        var model = new ModelSpec(net, 1, side, side, 10).Build();
        AnalogConversion.Convert(model, hw);
        AnalogConversion.CalibrateInputs(model, calibration);
        model.eval();
        return model;
    }

    /// <summary>Each analog layer's output moments [N] on <paramref name="x"/> in the model's current execution.</summary>
    static Dictionary<string, (Tensor Mean, Tensor Std)> LayerMoments(nn.Module<Tensor, Tensor> model, Tensor x)
    {
        var found = new Dictionary<string, (Tensor, Tensor)>();
        var layers = AnalogConversion.Layers(model);
        foreach (var l in layers) l.OutputHook = (layer, y) =>
        {
            var (m, s) = OutputGainCalibration.Moments(y, 1);
            found[layer.LayerName] = (m.view(-1).MoveToOuterDisposeScope(), s.view(-1).MoveToOuterDisposeScope());
            return y;
        };
        using (no_grad()) model.call(x);
        foreach (var l in layers) l.OutputHook = null;
        return found;
    }

    [Fact]
    public void OnAnIdealChipTheGainRegistersAreTheIdentity()
    {
        using var scope = NewDisposeScope();
        var hw = HardwareConfig.Load(Repo.Path("configs/ideal-exact.json")) with
        {
            Compensation = new CompensationConfig { OutputGain = true, Images = 32 },
        };
        using var train = Images(64, 28, 1);
        var x = Norm.Apply(train.Images);
        using var model = Deployed("lenet5", 28, hw, x);
        AnalogConversion.SetExecution(model, Execution.QuantizedDigital);
        Tensor quantized;
        using (no_grad()) quantized = model.call(x);
        AnalogConversion.SetExecution(model, Execution.Analog);
        using var compensation = ChipCompensation.Prepare(model, hw, n => train.Take(n), Norm)!;
        AnalogConversion.Program(model, 3);
        compensation.Measure(1);
        foreach (var l in AnalogConversion.Layers(model))
        {
            var r = l.Chip!.OutputGain!;
            Assert.True(r.Gain.eq(1).all().item<bool>(), $"{l.LayerName}: gain {r.Gain.min().item<float>()}");
            Assert.True(r.Offset.eq(0).all().item<bool>(), $"{l.LayerName}: offset {r.Offset.abs().max().item<float>()}");
        }
        using (no_grad()) Assert.True(TensorAssert.Same(quantized, model.call(x)));
    }

    [Fact]
    public void GainRegistersGiveEveryLayerTheDigitalNetworksMoments()
    {
        using var scope = NewDisposeScope();
        var hw = Harsh("""{ "output_gain": true, "images": 200 }""");
        using var train = Images(200, 28, 2);
        var x = Norm.Apply(train.Images);
        using var model = Deployed("lenet5", 28, hw, x);
        AnalogConversion.SetExecution(model, Execution.QuantizedDigital);
        var reference = LayerMoments(model, x);
        AnalogConversion.SetExecution(model, Execution.Analog);
        using var compensation = ChipCompensation.Prepare(model, hw, n => train.Take(n), Norm)!;
        AnalogConversion.Program(model, 5, corner: 4);         // the -19% corner
        var before = LayerMoments(model, x);
        compensation.Measure(1);
        var after = LayerMoments(model, x);
        double Error((Tensor Mean, Tensor Std) chip, (Tensor Mean, Tensor Std) r) =>
            Math.Max(chip.Std.div(r.Std).sub(1).abs().max().item<double>(),
                chip.Mean.sub(r.Mean).abs().div(r.Std).max().item<double>());
        foreach (var name in reference.Keys)
            Assert.True(Error(after[name], reference[name]) < 0.03,
                $"{name}: compensated moments off by {Error(after[name], reference[name]):P1} of the digital spread");
        // Without the registers the slow corner's outputs are visibly off: the check above can fail.
        Assert.Contains(reference.Keys, name => Error(before[name], reference[name]) > 0.1);
    }

    [Fact]
    public void BatchNormIsReestimatedOnEachChipAndRestoredAfterwards()
    {
        using var scope = NewDisposeScope();
        var hw = Harsh("""{ "batch_norm": true, "images": 24 }""");
        using var train = Images(24, 12, 3);
        var x = Norm.Apply(train.Images);
        using var model = Deployed("resnet20", 12, hw, x);
        var bn = (BatchNorm)model.named_modules().Single(m => m.name == "blocks.0.bn1").module;
        var (storedMean, storedVar) = (bn.running_mean!.clone(), bn.running_var!.clone());
        var conv = AnalogConversion.Layers(model).Single(l => l.LayerName == "blocks.0.conv1");
        Tensor? seen = null;
        conv.OutputHook = (_, y) => { seen = y.detach().clone().DetachFromDisposeScope(); return y; };
        using (var compensation = ChipCompensation.Prepare(model, hw, n => train.Take(n), Norm)!)
        {
            AnalogConversion.Program(model, 1, corner: 3);
            compensation.Measure(1);
            conv.OutputHook = null;
            // The chip's own statistics of bn1's input over the calibration images (pixels included).
            var perChannel = seen!.transpose(0, 1).reshape(seen.size(1), -1).to_type(ScalarType.Float64);
            var (chipVar, chipMean) = var_mean(perChannel, 1, unbiased: true, keepdim: false);
            Assert.True(bn.running_mean!.to_type(ScalarType.Float64).allclose(chipMean, rtol: 1e-4, atol: 1e-5));
            Assert.True(bn.running_var!.to_type(ScalarType.Float64).allclose(chipVar, rtol: 1e-4, atol: 1e-5));
            Assert.False(bn.running_mean!.allclose(storedMean));
            Assert.False(bn.training);
        }
        Assert.True(TensorAssert.Same(storedMean, bn.running_mean!));
        Assert.True(TensorAssert.Same(storedVar, bn.running_var!));
    }

    [Fact]
    public void AStackOfCompensatedChipsGivesEachChipsOwnAccuracy()
    {
        using var scope = NewDisposeScope();
        var hw = Harsh("""{ "output_gain": true, "images": 40 }""");
        using var train = Images(40, 28, 4);
        using var test = Images(60, 28, 5);
        using var model = Deployed("lenet5", 28, hw, Norm.Apply(train.Images));
        using var compensation = ChipCompensation.Prepare(model, hw, n => train.Take(n), Norm)!;
        var mc = new MonteCarloOptions { Chips = 4, Corners = 5, Reference = false, BatchSize = 30 };
        var alone = ChipEvaluation.Run(model, test, Norm, mc, compensation: compensation);
        var stacked = ChipEvaluation.Run(model, test, Norm, mc with { ChipBatch = 2 }, compensation: compensation);
        Assert.Equal(alone.PerChip.Select(c => c.Accuracy), stacked.PerChip.Select(c => c.Accuracy));
        var bnHw = Harsh("""{ "batch_norm": true, "images": 40 }""");
        Assert.Equal(4, alone.PerChip.Count);
        using var resnet = Deployed("resnet20", 12, bnHw, Norm.Apply(Images(40, 12, 6).Images));
        using var small = Images(40, 12, 6);
        using var bnCompensation = ChipCompensation.Prepare(resnet, bnHw, n => small.Take(n), Norm)!;
        var e = Assert.Throws<ImcInputException>(() => ChipEvaluation.Run(resnet, Images(10, 12, 7), Norm,
            mc with { Chips = 2, ChipBatch = 2 }, compensation: bnCompensation));
        Assert.Contains("chip_batch 1", e.Message);
    }

    [Theory]
    [InlineData("""{ "images": 1 }""", "compensation.images")]
    [InlineData("""{ "batchnorm": true }""", "batch_norm")]
    public void ABadCompensationSectionIsOneClearError(string section, string expected)
    {
        var e = Assert.Throws<ImcInputException>(() => Harsh(section));
        Assert.Contains("harsh.json", e.Message);
        Assert.Contains(expected, e.Message);
    }

    [Fact]
    public void BatchNormReestimationOnANetworkWithoutBatchNormIsNothingToDo()
    {
        using var scope = NewDisposeScope();
        var hw = Harsh("""{ "batch_norm": true, "images": 8 }""");
        using var train = Images(8, 28, 1);
        using var model = Deployed("lenet5", 28, hw, Norm.Apply(train.Images));
        Assert.Null(ChipCompensation.Prepare(model, hw, n => train.Take(n), Norm));
        var few = Harsh("""{ "output_gain": true, "images": 50 }""");
        var e = Assert.Throws<ImcInputException>(() => ChipCompensation.Prepare(model, few,
            n => train.Take(Math.Min(n, 8)), Norm));
        Assert.Contains("compensation.images", e.Message);
    }
}
