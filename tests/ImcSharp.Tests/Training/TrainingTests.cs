using ImcSharp.Data;
using ImcSharp.Training;
using static TorchSharp.torch;

namespace ImcSharp.Tests.Training;

public class TrainingTests
{
    static readonly string Dir = Synthetic.MnistDir(train: 640, test: 200);

    static TrainOptions Options(int epochs) => new() { Model = "lenet5", Dataset = "mnist", Epochs = epochs, BatchSize = 32, Seed = 11 };

    static TrainResult Train(TrainOptions o, string outDir, bool resume = false, ProgressSink? progress = null, CancellationToken cancel = default)
    {
        using var train = DatasetCatalog.Load("mnist", Dir, Split.Train);
        using var test = DatasetCatalog.Load("mnist", Dir, Split.Test);
        return Trainer.Train(o, train, test, outDir, resume, progress, cancel);
    }

    static float[] Weights(string ckpt)
    {
        var (_, model) = Checkpoint.Load(ckpt);
        using (model) return model.parameters().SelectMany(p => p.data<float>().ToArray()).ToArray();
    }

    [Trait("Category", "Slow")]

    [Fact]
    public void LearnsTheSyntheticTaskAndIsReproducible()
    {
        var a = Train(Options(2), Synthetic.TempDir());
        var b = Train(Options(2), Synthetic.TempDir());
        Assert.True(a.Info.TestAccuracy > 0.9, $"accuracy {a.Info.TestAccuracy}");
        Assert.Equal(a.Info.TestAccuracy, b.Info.TestAccuracy);
        Assert.Equal(Weights(a.CheckpointPath), Weights(b.CheckpointPath));
    }

    [Fact]
    public void ResumeContinuesExactlyWhereTheRunStopped()
    {
        var straight = Train(Options(2), Synthetic.TempDir());
        var outDir = Synthetic.TempDir();
        // Interrupt the 2-epoch run while it evaluates epoch 1: it stops at the next batch.
        using var cts = new CancellationTokenSource();
        Assert.Throws<OperationCanceledException>(() =>
            Train(Options(2), outDir, progress: u => { if (u.Phase.StartsWith("test 1")) cts.Cancel(); }, cancel: cts.Token));
        Assert.Equal(1, Checkpoint.ReadInfo(Trainer.CheckpointPath(outDir, Options(2))).EpochsDone);
        var resumed = Train(Options(2), outDir, resume: true);
        Assert.True(resumed.Resumed);
        Assert.Equal(2, resumed.Info.History.Count);
        Assert.Equal(Weights(straight.CheckpointPath), Weights(resumed.CheckpointPath));
    }

    [Fact]
    public void CheckpointRoundTripsAndRejectsDamage()
    {
        var r = Train(Options(1), Synthetic.TempDir());
        var (info, model) = Checkpoint.Load(r.CheckpointPath);
        using var test = DatasetCatalog.Load("mnist", Dir, Split.Test);
        Assert.Equal(r.Info.TestAccuracy, Evaluator.Evaluate(model, test, info.Normalization).Accuracy);

        var bytes = File.ReadAllBytes(r.CheckpointPath);
        var cut = Path.Combine(Synthetic.TempDir(), "cut.ckpt");
        File.WriteAllBytes(cut, bytes[..(bytes.Length - 5000)]);
        Assert.Contains("cut.ckpt", Assert.Throws<ImcInputException>(() => Checkpoint.Load(cut)).Message);
        var junk = Path.Combine(Synthetic.TempDir(), "junk.ckpt");
        File.WriteAllText(junk, "not a checkpoint at all");
        Assert.Contains("IMCCKPT1", Assert.Throws<ImcInputException>(() => Checkpoint.Load(junk)).Message);
    }

    [Fact]
    public void SchedulesFollowTheirFormulas()
    {
        var cos = new TrainOptions { Epochs = 10, LearningRate = 0.1, Schedule = ScheduleKind.Cosine };
        Assert.Equal(0.1, cos.LearningRateAt(0), 12);
        Assert.Equal(0.05, cos.LearningRateAt(5), 12);
        Assert.Equal(0.0, cos.LearningRateAt(10), 12);
        var step = new TrainOptions { Epochs = 10, LearningRate = 0.1, Schedule = ScheduleKind.Step, StepEpochs = 3, StepGamma = 0.5 };
        Assert.Equal(0.1, step.LearningRateAt(2.9), 12);
        Assert.Equal(0.025, step.LearningRateAt(6.0), 12);
    }

    [Fact]
    public void InvalidOptionsAreRejected()
    {
        // Library errors name the setting in library terms (the CLI words them as options: see the bad-input corpus).
        var e = Assert.Throws<ImcInputException>(() => Options(-1).Validate());
        Assert.Equal(("epochs", -1, "epochs = -1: expected an integer >= 1"), (e.Setting, e.Value, e.Message));
        Assert.Equal("batch_size", Assert.Throws<ImcInputException>(() => (Options(1) with { BatchSize = 0 }).Validate()).Setting);
    }
}
