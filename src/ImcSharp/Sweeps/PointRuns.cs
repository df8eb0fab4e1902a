using System.Diagnostics;
using ImcSharp.Config;
using ImcSharp.Data;
using ImcSharp.Evaluation;
using ImcSharp.Training;

namespace ImcSharp.Sweeps;

/// <summary>
/// What a sweep or a search runs for a design point: its network (the float network, trained once per process, or
/// that network fine-tuned aware on the point's own hardware) and its Monte Carlo chips. Checkpoints and finished
/// chips are kept under the output directory, so an interrupted run continues where it stopped.
/// </summary>
public sealed class PointRuns(SweepSpec spec, string outDir, string floatDirName, ImageSet train,
    ProgressSink? progress, Action<string> log, CancellationToken cancel, string device)
{
    string? _floatCheckpoint;
    readonly Dictionary<string, string> _awareCheckpoints = new();

    /// <summary>Seconds spent training (or reloading) networks in this process, by network name.</summary>
    public Dictionary<string, double> TrainingSeconds { get; } = new();

    TrainOptions FloatOptions => new()
    {
        Model = spec.Model, Dataset = spec.Dataset, Epochs = spec.FloatEpochs, Seed = spec.Seed, Device = device,
    };

    /// <summary>
    /// The checkpoint the point runs: the float network, or its aware fine-tuning on <paramref name="hw"/>.
    /// </summary>
    public string Network(SweepPoint point, HardwareConfig hw, ImageSet test)
    {
        _floatCheckpoint ??= spec.FloatCheckpoint;
        if (_floatCheckpoint is null)
        {
            var sw = Stopwatch.StartNew();
            _floatCheckpoint = Trainer.Train(FloatOptions, train, test, Path.Combine(outDir, floatDirName),
                resume: true, progress, cancel).CheckpointPath;
            TrainingSeconds["float"] = sw.Elapsed.TotalSeconds;
        }
        if (point.Training != "aware") return _floatCheckpoint;
        if (_awareCheckpoints.TryGetValue(point.Id, out var done)) return done;
        var timer = Stopwatch.StartNew();
        var opts = FloatOptions with { Epochs = spec.AwareEpochs, LearningRate = spec.AwareLr,
            TrainLimit = spec.AwareTrainImages };
        var aware = new AwareOptions { Hardware = hw, Init = Path.GetFullPath(_floatCheckpoint),
            CalibrationImages = spec.CalibrationImages };
        log($"{point.Id}: peripheral-aware fine-tuning ({spec.AwareEpochs} epochs)");
        using var subset =
            train.Take(spec.AwareTrainImages > 0 ? Math.Min(spec.AwareTrainImages, train.Count) : train.Count);
        var ckpt = Trainer.Train(opts, subset, test, Path.Combine(outDir, "aware", point.Id), resume: true,
            progress, cancel, aware).CheckpointPath;
        TrainingSeconds[point.Id] = timer.Elapsed.TotalSeconds;
        return _awareCheckpoints[point.Id] = ckpt;
    }

    /// <summary>
    /// Monte Carlo accuracy of <paramref name="checkpoint"/> on <paramref name="chips"/> chips of
    /// <paramref name="hw"/>: chip k in global corner k mod corners (the design's named corners if it has them), so
    /// the first chips of a larger run are these same chips. Finished chips are kept in
    /// <paramref name="resultsPath"/>.
    /// </summary>
    public ChipEvaluationResult Chips(string checkpoint, HardwareConfig hw, ImageSet test, int chips,
        string resultsPath)
    {
        var mc = new MonteCarloOptions
        {
            Chips = chips, Corners = Math.Min(spec.Corners, chips), Reference = false,
            CornerNames = Converters.AdcFactory.CornerNames(hw.Adc),
            ResultsPath = resultsPath,
            Key = ChipEvaluation.KeyFor(checkpoint, hw, spec.CalibrationImages),
            Device = device,
        };
        return ChipEvaluation.EvaluateCheckpoint(checkpoint, hw, train, test, mc, spec.CalibrationImages, progress,
            cancel);
    }
}
