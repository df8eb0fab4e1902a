using System.Text.Json;
using System.Diagnostics;
using ImcSharp.Converters;
using ImcSharp.Data;
using ImcSharp.IO;
using ImcSharp.Tests.BadInputs;
using ImcSharp.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace ImcSharp.Tests.Reliability;

/// <summary>
/// The faults a run meets in practice: killed or interrupted mid-epoch, two runs on one output,
/// a changed design under the same results file, files damaged on disk, leftovers of a kill.
/// </summary>
[Trait("Category", "Slow")]
public class FaultTests
{
    static readonly Lazy<string> Dir = new(() => Synthetic.MnistDir(train: 640, test: 64));

    static TrainOptions Options(int epochs) => new() { Model = "mlp", Dataset = "mnist", Epochs = epochs, BatchSize = 64, Seed = 3 };

    static float[] Weights(string ckpt)
    {
        var (_, model) = Checkpoint.Load(ckpt);
        using (model) return model.parameters().SelectMany(p => p.data<float>().ToArray()).ToArray();
    }

    sealed class Crash : Exception;

    [Fact]
    public void AnInterruptedEpochResumesFromItsLastSaveAndEndsWhereAnUninterruptedRunEnds()
    {
        using var train = DatasetCatalog.Load("mnist", Dir.Value, Split.Train);
        using var test = DatasetCatalog.Load("mnist", Dir.Value, Split.Test);
        var straight = Trainer.Train(Options(2), train, test, Synthetic.TempDir()).CheckpointPath;

        // kill -9 at step 5 of epoch 2 (10 steps per epoch): nothing is saved at the crash, the last save was at step 3.
        var killed = Synthetic.TempDir();
        Assert.Throws<Crash>(() => Trainer.Train(Options(2), train, test, killed,
            progress: u => { if (u.Phase == "epoch 2/2" && u.Step == 5) throw new Crash(); }, saveEverySteps: 3));
        var info = Checkpoint.ReadInfo(Path.Combine(killed, "mlp.ckpt"));
        Assert.Equal(1, info.EpochsDone);
        Assert.Equal(new EpochProgress(1, 3, info.Partial!.LossSum, info.Partial.Correct, 192, info.Partial.Seconds), info.Partial);
        var resumed = Trainer.Train(Options(2), train, test, killed, resume: true);
        Assert.True(resumed.Resumed);
        Assert.Null(resumed.Info.Partial);
        Assert.Equal(Weights(straight), Weights(resumed.CheckpointPath));

        // Ctrl+C at step 7 of epoch 1: every finished step is saved on the way out.
        var stopped = Synthetic.TempDir();
        using var cts = new CancellationTokenSource();
        Assert.ThrowsAny<OperationCanceledException>(() => Trainer.Train(Options(2), train, test, stopped, cancel: cts.Token,
            progress: u => { if (u.Phase == "epoch 1/2" && u.Step == 7) cts.Cancel(); }, saveEverySteps: 0));
        Assert.Equal(7, Checkpoint.ReadInfo(Path.Combine(stopped, "mlp.ckpt")).Partial!.Steps);
        var after = Trainer.Train(Options(2), train, test, stopped, resume: true);
        Assert.Equal(Weights(straight), Weights(after.CheckpointPath));
        Assert.Equal(2, after.Info.History.Count);
        // The interrupted epoch's report covers all of its steps, before and after the interruption.
        var whole = Checkpoint.ReadInfo(straight).History[0];
        Assert.Equal(whole.TrainLoss, after.Info.History[0].TrainLoss, 9);
        Assert.Equal(whole.TrainAccuracy, after.Info.History[0].TrainAccuracy);
    }

    [Fact]
    public void ASecondRunOnALockedOutputIsRefusedNamingTheHolderAndAStaleLockIsTakenOver()
    {
        var outDir = Synthetic.TempDir();
        using var holder = Process.Start(new ProcessStartInfo("sleep", "60") { UseShellExecute = false })!;
        try
        {
            File.WriteAllText(Path.Combine(outDir, RunLock.DirectoryLockName),
                $"{holder.Id} {holder.StartTime.ToUniversalTime():o}\n");
            var args = new[] { "train", "--model", "mlp", "--dataset", "mnist", "--data", Dir.Value, "--epochs", "1", "--out", outDir };
            var (code, err) = BadInputCorpusTests.Run(args);
            Assert.Equal(2, code);
            Assert.Contains($"in use by another run (PID {holder.Id}", err);
            Assert.False(File.Exists(Path.Combine(outDir, "mlp.ckpt")));

            holder.Kill();
            holder.WaitForExit();
            (code, err) = BadInputCorpusTests.Run(args);
            Assert.True(code == 0, err);
            Assert.True(File.Exists(Path.Combine(outDir, "mlp.ckpt")));
            Assert.False(File.Exists(Path.Combine(outDir, RunLock.DirectoryLockName)));
        }
        finally
        {
            if (!holder.HasExited) holder.Kill();
        }
    }

    [Fact]
    public void LocksAreReentrantWithinARunAndExclusiveAcrossRuns()
    {
        var dir = Synthetic.TempDir();
        using (RunLock.Directory(dir))
        using (RunLock.Directory(dir))
            Assert.True(File.Exists(Path.Combine(dir, RunLock.DirectoryLockName)));
        Assert.False(File.Exists(Path.Combine(dir, RunLock.DirectoryLockName)));
        // A lock left by a process that no longer exists (PID reused or gone) does not block.
        File.WriteAllText(Path.Combine(dir, RunLock.DirectoryLockName), "999999 2020-01-01T00:00:00.0000000Z\n");
        using (RunLock.Directory(dir)) { }
    }

    [Fact]
    public void AChangedDesignUnderTheSameResultsFileIsRefusedNamingWhatDiffers()
    {
        var root = Synthetic.TempDir();
        Assert.Equal(0, BadInputCorpusTests.Run("train", "--model", "mlp", "--dataset", "mnist", "--data", Dir.Value, "--epochs", "1", "--out", root).Code);
        string Design(int bits)
        {
            var path = Path.Combine(root, $"adc{bits}.json");
            File.WriteAllText(path, File.ReadAllText(Repo.Path("configs", "puma-reference.json")).Replace("\"bits\": 7", $"\"bits\": {bits}"));
            return path;
        }
        var results = Path.Combine(root, "chips.jsonl");
        string[] Eval(string hw, int chips) => new[] { "eval", "--checkpoint", Path.Combine(root, "mlp.ckpt"), "--dataset", "mnist", "--data", Dir.Value,
            "--hw", hw, "--chips", chips.ToString(), "--results", results, "--calibration-images", "64" };
        Assert.Equal(0, BadInputCorpusTests.Run(Eval(Design(7), 2)).Code);
        var before = File.ReadAllText(results);
        var (code, err) = BadInputCorpusTests.Run(Eval(Design(2), 4));
        Assert.Equal(2, code);
        Assert.True(err.Contains("holds chip results of another setup (design:"), err);
        Assert.Equal(before, File.ReadAllText(results));
        // The same design resumes: the 2 finished chips are kept, 2 more are added.
        Assert.Equal(0, BadInputCorpusTests.Run(Eval(Design(7), 4)).Code);
        Assert.Equal(5, File.ReadAllLines(results).Length);
    }

    /// <summary>
    /// A Monte Carlo split into --first-chip blocks (one per job-array task, each its own results
    /// file) and joined by --merge gives the single run's chips and statistics; a block from another
    /// design, or one that disagrees on a chip, is refused without touching the results file.
    /// </summary>
    [Fact]
    public void MonteCarloBlocksMergeIntoTheSingleRun()
    {
        var root = Synthetic.TempDir();
        Assert.Equal(0, BadInputCorpusTests.Run("train", "--model", "mlp", "--dataset", "mnist", "--data", Dir.Value, "--epochs", "1", "--out", root).Code);
        string[] Eval(string hw, params string[] more) => new[] { "eval", "--checkpoint", Path.Combine(root, "mlp.ckpt"), "--dataset", "mnist",
            "--data", Dir.Value, "--hw", hw, "--calibration-images", "64" }.Concat(more).ToArray();
        var hw = Repo.Path("experiments", "hw", "current-rram-cco-realistic.json");
        string At(string name) => Path.Combine(root, name);
        for (int b = 0; b < 3; b++)
            Assert.Equal(0, BadInputCorpusTests.Run(Eval(hw, "--chips", "2", "--first-chip", (2 * b).ToString(), "--results", At($"block-{b}.jsonl"))).Code);
        Assert.Equal(0, BadInputCorpusTests.Run(Eval(hw, "--chips", "6", "--json", At("single.json"))).Code);
        var (code, err) = BadInputCorpusTests.Run(Eval(hw, "--chips", "6", "--results", At("mc.jsonl"), "--merge", At("block-*.jsonl"), "--json", At("merged.json")));
        Assert.True(code == 0, err);
        var (single, merged) = (JsonDocument.Parse(File.ReadAllText(At("single.json"))).RootElement, JsonDocument.Parse(File.ReadAllText(At("merged.json"))).RootElement);
        Assert.Equal(single.GetProperty("per_chip").GetRawText(), merged.GetProperty("per_chip").GetRawText());
        Assert.Equal(single.GetProperty("accuracy").GetRawText(), merged.GetProperty("accuracy").GetRawText());
        Assert.Equal(7, File.ReadAllLines(At("mc.jsonl")).Length);
        // Another design's block.
        var other = At("other.json");
        File.WriteAllText(other, File.ReadAllText(hw).Replace("\"bits\": 7", "\"bits\": 6"));
        Assert.Equal(0, BadInputCorpusTests.Run(Eval(other, "--chips", "1", "--first-chip", "6", "--results", At("other.jsonl"))).Code);
        var before = File.ReadAllText(At("mc.jsonl"));
        (code, err) = BadInputCorpusTests.Run(Eval(hw, "--chips", "7", "--results", At("mc.jsonl"), "--merge", At("other.jsonl")));
        Assert.Equal(2, code);
        Assert.True(err.Contains("other.jsonl: holds chip results of another setup (design:"), err);
        // A block that disagrees on a chip.
        var block = File.ReadAllLines(At("block-1.jsonl"));
        File.WriteAllLines(At("bad.jsonl"), new[] { block[0], System.Text.RegularExpressions.Regex.Replace(block[1], "\"accuracy\":[0-9.eE+-]+", "\"accuracy\":0.125") });
        (code, err) = BadInputCorpusTests.Run(Eval(hw, "--chips", "6", "--results", At("mc.jsonl"), "--merge", At("bad.jsonl")));
        Assert.Equal(2, code);
        Assert.True(err.Contains("expected blocks of one Monte Carlo"), err);
        Assert.Equal(before, File.ReadAllText(At("mc.jsonl")));
    }

    [Fact]
    public void APopulationFileCarriesAChecksumThatCatchesAnyEdit()
    {
        var path = Path.Combine(Synthetic.TempDir(), "pop.json");
        using (var pop = new AdcPopulation(2, tensor(new double[] { 0.5, 1.5, double.PositiveInfinity, 0.4, 1.6, 2.5 }).view(2, 3), new[] { 0, 0 }, new[] { "tt" }))
            PopulationFile.Save(path, pop, "test");
        using (var back = PopulationFile.Load(path))
            Assert.Equal(new[] { 0.5, 1.5, double.PositiveInfinity, 0.4, 1.6, 2.5 }, back.Thresholds.data<double>().ToArray());
        File.WriteAllText(path, File.ReadAllText(path).Replace("1.6", "1.7"));
        var err = Assert.Throws<ImcInputException>(() => PopulationFile.Load(path));
        Assert.Contains("checksum mismatch", err.Message);
    }

    [Fact]
    public void TemporariesOfAKilledWriterAreRemovedByTheNextWrite()
    {
        var dir = Synthetic.TempDir();
        var target = Path.Combine(dir, "report.json");
        using var live = Process.Start(new ProcessStartInfo("sleep", "30") { UseShellExecute = false })!;
        try
        {
            File.WriteAllText(target + ".tmp-999999", "half");
            File.WriteAllText(target + $".tmp-{live.Id}", "being written");
            AtomicFile.WriteAllText(target, "{}\n");
            Assert.False(File.Exists(target + ".tmp-999999"));
            Assert.True(File.Exists(target + $".tmp-{live.Id}"));
            Assert.Equal("{}\n", File.ReadAllText(target));
        }
        finally { live.Kill(); }
    }
}

public class MergeFaultTests
{
    [Fact]
    public void AMergeWithNothingToJoinFailsWithoutWritingAnEmptyPointsFile()
    {
        var outDir = Synthetic.TempDir();
        var (code, err) = BadInputCorpusTests.Run("sweep", "merge", Repo.Path("experiments", "sweep-lenet5.json"), "--out", outDir);
        Assert.Equal(2, code);
        Assert.Contains("no finished points to merge", err);
        Assert.False(File.Exists(Path.Combine(outDir, "points.jsonl")));
    }

    /// <summary>
    /// A merge with a shard missing writes what it has and what is missing (sweep.md, the JSON),
    /// and exits 2 naming the missing points; with --partial it exits 0. Points are written as a
    /// shard would write them (one JSON line each).
    /// </summary>
    [Fact]
    public void AMergeWithAShardMissingSaysWhatIsMissingAndFailsUnlessPartial()
    {
        var outDir = Synthetic.TempDir();
        var specPath = Repo.Path("experiments", "sweep-lenet5.json");
        var points = ImcSharp.Sweeps.SweepSpec.Load(specPath).Points();
        var shard0 = points.Where((_, k) => k % 2 == 0)
            .Select(p => new ImcSharp.Sweeps.SweepResult(p.Id, "sar", 6, "none", 1, "float", 2, 0.8, 0.01, 0.79, 0.79, 1e-9, 0.1, 0.8, 0.5, 10, 1))
            .ToList();
        ImcSharp.IO.JsonLines.Write(Path.Combine(outDir, "points.shard-0-of-2.jsonl"), shard0);
        var json = Path.Combine(outDir, "merge.json");
        var missing = points.Where((_, k) => k % 2 == 1).Select(p => p.Id).ToList();
        var (code, err) = BadInputCorpusTests.Run("sweep", "merge", specPath, "--out", outDir, "--json", json);
        Assert.Equal(2, code);
        Assert.Contains($"{missing.Count} of {points.Count} points not finished ({missing[0]}", err);
        Assert.Contains("Incomplete", File.ReadAllText(Path.Combine(outDir, "sweep.md")));
        Assert.Contains(missing[^1], File.ReadAllText(Path.Combine(outDir, "sweep.md")));
        using (var doc = System.Text.Json.JsonDocument.Parse(File.ReadAllText(json)))
        {
            Assert.Equal(missing, doc.RootElement.GetProperty("missing").EnumerateArray().Select(e => e.GetString()!).ToList());
            Assert.Equal(shard0.Count, doc.RootElement.GetProperty("points").GetArrayLength());
            Assert.False(doc.RootElement.GetProperty("complete").GetBoolean());
        }
        Assert.Equal(0, BadInputCorpusTests.Run("sweep", "merge", specPath, "--out", outDir, "--partial").Code);
    }
}

