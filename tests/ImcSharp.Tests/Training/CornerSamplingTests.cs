using ImcSharp.Config;
using ImcSharp.Models;
using ImcSharp.Nn;
using ImcSharp.Training;
using static TorchSharp.torch;

namespace ImcSharp.Tests.Training;

/// <summary>
/// Corner-aware sampling of fresh-chip training: which named corner each step's chip is in, and that the step's chip
/// is then exactly that corner's chip.
/// </summary>
public class CornerSamplingTests
{
    static readonly HardwareConfig Realistic = HardwareConfig.Load(Repo.Path("experiments/hw/current-rram-cco-realistic.json"));

    static AwareOptions Options(CornerSampling corners, ChipSampling variation = ChipSampling.FreshChip) =>
        new() { Hardware = Realistic, Variation = variation, Corners = corners };

    [Fact]
    public void RoundRobinCyclesTheCornersAndWorstAlternatesWithIt()
    {
        var rr = Options(CornerSampling.RoundRobin);
        Assert.Equal(new int?[] { 0, 1, 2, 3, 4, 0, 1 }, Enumerable.Range(0, 7).Select(s => ChipSampler.StepCorner(rr, s, 3)));
        var worst = Options(CornerSampling.Worst);
        // Even steps on the worst corner (C2, index 3), odd steps round-robin over all five.
        Assert.Equal(new int?[] { 3, 0, 3, 1, 3, 2, 3, 3, 3, 4, 3, 0 },
            Enumerable.Range(0, 12).Select(s => ChipSampler.StepCorner(worst, s, 3)));
        // Before any epoch has scored the corners: round-robin.
        Assert.Equal(new int?[] { 0, 1, 2 }, Enumerable.Range(0, 3).Select(s => ChipSampler.StepCorner(worst, s, null)));
        Assert.Null(ChipSampler.StepCorner(Options(CornerSampling.Drawn), 4, 3));
        var record = new EpochRecord(1, 0.5, 0.8, 0.7, 1, new Dictionary<string, double> { ["Nom"] = 0.8, ["C3"] = 0.7 }, "C3");
        Assert.Equal(4, ChipSampler.WorstCorner(worst, record));
        Assert.Null(ChipSampler.WorstCorner(worst, null));
    }

    [Fact]
    public void AStepsChipIsTheFreshChipInItsSampledCorner()
    {
        using var scope = NewDisposeScope();
        manual_seed(2);
        using var model = new ModelSpec("lenet5", 1, 28, 28, 10).Build();
        var a = Options(CornerSampling.RoundRobin);
        ChipSampler.Prepare(model, a);
        var x = randn(new long[] { 8, 1, 28, 28 }, generator: new Generator(3));
        AnalogConversion.CalibrateInputs(model, x);
        model.eval();
        using var g = no_grad();
        Tensor Run() => model.call(x);
        var outputs = new List<Tensor>();
        for (int step = 0; step < 3; step++)
        {
            ChipSampler.ProgramStep(model, a, 7, 0, step);
            var stepOut = Run();
            AnalogConversion.Program(model, Seeds.TrainingChip(7, 0, step), step);
            Assert.True(TensorAssert.Same(stepOut, Run()), $"step {step}: the fresh chip in corner {step}");
            outputs.Add(stepOut);
        }
        // The corner matters: the same fresh chip in another corner computes something else.
        ChipSampler.ProgramStep(model, a with { Corners = CornerSampling.Drawn }, 7, 0, 1);
        AnalogConversion.Program(model, Seeds.TrainingChip(7, 0, 1), 4);
        Assert.False(TensorAssert.Same(outputs[1], Run()));
    }

    /// <summary>
    /// Worst-corner sampling scores the corners once before training (the first epoch's worst corner) and keeps the
    /// scores in the checkpoint, so a resumed run samples as an uninterrupted one.
    /// </summary>
    [Fact]
    [Trait("Category", "Slow")]
    public void WorstCornerSamplingStartsFromTheCornerTheNetworkBeginsWorstOn()
    {
        var data = Synthetic.MnistDir(train: 128, test: 64, seed: 4);
        using var train = ImcSharp.Data.DatasetCatalog.Load("mnist", data, ImcSharp.Data.Split.Train);
        using var test = ImcSharp.Data.DatasetCatalog.Load("mnist", data, ImcSharp.Data.Split.Test);
        var dir = Synthetic.TempDir();
        var o = new TrainOptions { Model = "lenet5", Dataset = "mnist", Epochs = 1, BatchSize = 32, Seed = 3 };
        var start = Trainer.Train(o, train, test, Path.Combine(dir, "float")).CheckpointPath;
        var a = Options(CornerSampling.Worst) with { Init = start, CalibrationImages = 64 };
        var first = Trainer.Train(o, train, test, Path.Combine(dir, "aware"), aware: a);
        var info = Checkpoint.ReadInfo(first.CheckpointPath);
        Assert.NotNull(info.Start);
        Assert.Equal(5, info.Start!.CornerAccuracy!.Count);
        Assert.Equal(info.Start.CornerAccuracy.MinBy(kv => kv.Value).Key, info.Start.WorstCorner);
        // Resumed for a second epoch: the start scores are kept, not measured again on the trained network.
        var second = Trainer.Train(o with { Epochs = 2 }, train, test, Path.Combine(dir, "aware"), resume: true, aware: a);
        Assert.True(second.Resumed);
        var kept = Checkpoint.ReadInfo(second.CheckpointPath).Start!;
        Assert.Equal(info.Start.CornerAccuracy.OrderBy(kv => kv.Key), kept.CornerAccuracy!.OrderBy(kv => kv.Key));
        Assert.Equal(info.Start.WorstCorner, kept.WorstCorner);
    }

    [Fact]
    public void CornerSamplingIsRefusedWhereItCannotApply()
    {
        var e = Assert.Throws<ImcInputException>(() => Options(CornerSampling.Worst, ChipSampling.FreshLocal).Validate());
        Assert.Contains("fresh-chip training only", e.Message);
        var noCorners = HardwareConfig.Load(Repo.Path("configs/ideal-exact.json"));
        e = Assert.Throws<ImcInputException>(() => (Options(CornerSampling.RoundRobin) with { Hardware = noCorners }).Validate());
        Assert.Contains("name no global corners", e.Message);
        // Left out of the options' JSON while drawn: runs without it keep their keys.
        Assert.DoesNotContain("\"corners\": \"", System.Text.Json.JsonSerializer.Serialize(Options(CornerSampling.Drawn), ImcSharp.IO.Json.Options));
        Assert.Contains("\"corners\": \"round-robin\"", System.Text.Json.JsonSerializer.Serialize(Options(CornerSampling.RoundRobin), ImcSharp.IO.Json.Options));
    }
}
