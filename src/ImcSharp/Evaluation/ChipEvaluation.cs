using System.Text.Json;
using ImcSharp.Data;
using ImcSharp.IO;
using ImcSharp.Nn;
using ImcSharp.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace ImcSharp.Evaluation;

/// <summary>Accuracy over chips: mean, standard deviation, worst chip, 5th percentile, best chip.</summary>
public sealed record AccuracyStats(double Mean, double Std, double Min, double P5, double Max)
{
    public static AccuracyStats Of(IReadOnlyList<double> xs)
    {
        if (xs.Count == 0) throw new ArgumentException("no values", nameof(xs));
        var sorted = xs.OrderBy(x => x).ToArray();
        double mean = sorted.Average();
        double std = sorted.Length > 1 ? Math.Sqrt(sorted.Sum(x => (x - mean) * (x - mean)) / (sorted.Length - 1)) : 0;
        return new AccuracyStats(mean, std, sorted[0], Percentile(sorted, 5), sorted[^1]);
    }

    /// <summary>Linear interpolation between closest ranks (the default of NumPy's percentile).</summary>
    public static double Percentile(double[] sorted, double p)
    {
        double rank = p / 100 * (sorted.Length - 1);
        int lo = (int)Math.Floor(rank), hi = (int)Math.Ceiling(rank);
        return sorted[lo] + (sorted[hi] - sorted[lo]) * (rank - lo);
    }
}

/// <summary>One chip's result: its index (seed), the global corner it was drawn in, its accuracy.</summary>
public sealed record ChipResult(long Chip, double Accuracy, int Corner = 0);

/// <summary>Accuracy of the chips of one global corner.</summary>
public sealed record CornerStats(int Corner, int Chips, double Mean, double Min, string? Name = null)
{
    public string Label => Name ?? Corner.ToString();
}

public sealed record ChipEvaluationResult(double? FloatAccuracy, double? QuantizedAccuracy, AccuracyStats Accuracy,
    List<ChipResult> PerChip,
    List<CornerStats> Corners)
{
    /// <summary>
    /// Mean accuracy of the worst global corner: a corner collapse shows here even when the overall mean hides it.
    /// </summary>
    public double WorstCorner => Corners.Min(c => c.Mean);
    /// <summary>Name (or index) of that corner.</summary>
    public string WorstCornerName => Corners.MinBy(c => c.Mean)!.Label;
}

/// <summary>
/// Monte Carlo evaluation settings. Chip k (k = first .. first + chips - 1) is programmed from
/// its own seed (local mismatch, cells) in global corner k mod <see cref="Corners"/>; each corner
/// is one draw of the chip-level variation (a population file's corners in order), so every
/// corner holds chips/corners chips and is reported on its own.
/// </summary>
public sealed record MonteCarloOptions
{
    public int Chips { get; init; } = 100;
    public int Corners { get; init; } = 5;
    /// <summary>
    /// Names of the design's global corners (named ADC corners, a population's): chips then cycle through exactly
    /// these.
    /// </summary>
    public string[]? CornerNames { get; init; }
    public int CornerCount => CornerNames is { Length: > 0 } n ? n.Length : Corners;
    public long FirstChip { get; init; }
    /// <summary>JSON Lines file of finished chips: an interrupted evaluation resumes from it.</summary>
    public string? ResultsPath { get; init; }
    /// <summary>
    /// Results files of other blocks of the same Monte Carlo (the same key; e.g. one per job-array task, each with its
    /// own <see cref="FirstChip"/>): their chips are joined into <see cref="ResultsPath"/> before the run, which
    /// then evaluates only the chips still missing.
    /// </summary>
    public IReadOnlyList<string> MergeFrom { get; init; } = Array.Empty<string>();
    /// <summary>
    /// What the results file belongs to (checkpoint, design, calibration: <see cref="ChipEvaluation.KeyFor"/>);
    /// the evaluation adds the test set's content and the corners. A file from another setup is refused.
    /// </summary>
    public RunKey? Key { get; init; }
    /// <summary>Also evaluate the float and quantized-digital network for reference.</summary>
    public bool Reference { get; init; } = true;
    public int BatchSize { get; init; } = 500;
    /// <summary>
    /// Device the chips compute on ("cpu", "cuda", "cuda:N"); chips are programmed on the CPU, so the same seed gives
    /// the same chips.
    /// </summary>
    public string Device { get; init; } = "cpu";
    /// <summary>
    /// Chips evaluated together in one batched pass (<see cref="Nn.AnalogConversion.ProgramChips"/>):
    /// each gives what it gives alone, memory grows with the batch. Finished chips are kept batch by
    /// batch. On the CPU one chip at a time is as fast (each chip's pass is already batched over
    /// hundreds of images; `bench -- chips`), so 1 is the default; a device with a high cost per
    /// operation is where batches of chips pay.
    /// </summary>
    public int ChipBatch { get; init; } = 1;

    public void Validate()
    {
        if (ChipBatch < 1) throw new ImcInputException("chip_batch", ChipBatch, "expected an integer >= 1");
        if (Chips < 1) throw new ImcInputException("chips", Chips, "expected an integer >= 1");
        if (Corners < 1) throw new ImcInputException("corners", Corners, "expected an integer >= 1");
        if (FirstChip < 0) throw new ImcInputException("first_chip", FirstChip, "expected an integer >= 0");
        if (MergeFrom.Count > 0 && ResultsPath is null) throw new ImcInputException(
            "merging chip results needs a results file to merge them into (--results)");
    }
}

/// <summary>
/// Evaluates an analog model on K chips, streaming: each chip is programmed once (persistent cell
/// and ADC errors drawn from its seed), the whole test set runs on it, and only its accuracy is
/// kept, so memory does not grow with K. Chips run <see cref="MonteCarloOptions.ChipBatch"/> at a
/// time in one batched pass, each with the result it has alone. Finished chips are appended to
/// the results file.
/// </summary>
public static class ChipEvaluation
{
    /// <summary>
    /// Puts a checkpoint's network on a design: converts it, then sets its ranges: those a
    /// peripheral-aware checkpoint was trained with (its ADC ranges only where made for this ADC
    /// and core), the rest calibrated on <paramref name="calibrationImages"/> (called only then).
    /// </summary>
    public static void Deploy(nn.Module<Tensor, Tensor> model, CheckpointInfo info, Config.HardwareConfig hw,
        Func<ImageSet> calibrationImages)
    {
        AnalogConversion.Convert(model, hw);
        if (info.Calibration is { } stored) AnalogConversion.Apply(model, stored);
        if (!AnalogConversion.NeedsCalibration(model)) return;
        using var calib = calibrationImages();
        using var scope = NewDisposeScope();
        var x = info.Normalization.Apply(calib.Images);
        if (info.Calibration is null) AnalogConversion.CalibrateInputs(model, x);
        else AnalogConversion.CalibrateAdcRanges(model, x);
    }

    /// <summary>
    /// Monte Carlo accuracy of a checkpoint on a design: its stored calibration if it has one, else calibrated on
    /// training images.
    /// </summary>
    public static ChipEvaluationResult EvaluateCheckpoint(string checkpoint, Config.HardwareConfig hw, ImageSet train,
        ImageSet test, MonteCarloOptions mc,
        int calibrationImages, ProgressSink? progress, CancellationToken cancel)
    {
        var (info, model) = Checkpoint.Load(checkpoint, device: ComputeTarget.Parse(mc.Device));
        using (model)
        {
            Deploy(model, info, hw, () => train.Take(Math.Min(calibrationImages, train.Count)));
            using var compensation = ChipCompensation.Prepare(model, hw,
                n => train.Take(Math.Min(n, train.Count)), info.Normalization);
            return Run(model, test, info.Normalization, mc, progress, cancel, compensation);
        }
    }

    sealed record Line(SortedDictionary<string, string>? Key = null, long? Chip = null, int? Corner = null,
        double? Accuracy = null);

    /// <summary>
    /// The key of a results file for <paramref name="checkpoint"/> (its bytes) on <paramref name="hw"/> (its
    /// fingerprint), calibrated on N training images.
    /// </summary>
    public static RunKey KeyFor(string checkpoint, Config.HardwareConfig hw, int calibrationImages,
        params (string Part, object Value)[] more) =>
        RunKey.Of(new[] { ("checkpoint", (object)RunKey.HashFile(checkpoint)), ("design", hw.Fingerprint()),
            ("calibration_images", calibrationImages) }.Concat(more).ToArray());

    /// <summary>
    /// Monte Carlo accuracy of a deployed network; with <paramref name="compensation"/>, each chip is compensated
    /// (<see cref="ChipCompensation.Measure"/>) after programming, before its test images.
    /// </summary>
    public static ChipEvaluationResult Run(nn.Module<Tensor, Tensor> analogModel, ImageSet test, Normalization norm,
        MonteCarloOptions mc,
        ProgressSink? progress = null, CancellationToken cancel = default, ChipCompensation? compensation = null)
    {
        mc.Validate();
        using var runLock = mc.ResultsPath is null ? null : RunLock.File(mc.ResultsPath);
        double? fl = null, quant = null;
        if (mc.Reference)
        {
            AnalogConversion.SetExecution(analogModel, Execution.Float);
            fl = Evaluator.Evaluate(analogModel, test, norm, mc.BatchSize, progress, "float").Accuracy;
            AnalogConversion.SetExecution(analogModel, Execution.QuantizedDigital);
            quant = Evaluator.Evaluate(analogModel, test, norm, mc.BatchSize, progress, "quantized").Accuracy;
        }
        AnalogConversion.SetExecution(analogModel, Execution.Analog);
        var done = mc.ResultsPath is null ? new Dictionary<long, ChipResult>() : ReadDone(mc, test);
        var results = new SortedDictionary<long, ChipResult>();
        var pending = new List<(long Chip, int? Corner)>();
        for (long k = mc.FirstChip; k < mc.FirstChip + mc.Chips; k++)
        {
            int corner = (int)(k % mc.CornerCount);
            if (done.TryGetValue(k, out var prior) && prior.Corner == corner) results[k] = prior;
            else pending.Add((k, corner));
        }
        // Several chips per pass: each chip's draws and results are those it has alone.
        foreach (var batch in pending.Chunk(mc.ChipBatch))
        {
            cancel.ThrowIfCancellationRequested();
            AnalogConversion.ProgramChips(analogModel, batch);
            compensation?.Measure(batch.Length);
            long first = batch[0].Chip - mc.FirstChip + 1, last = batch[^1].Chip - mc.FirstChip + 1;
            var label = batch.Length == 1 ? $"chip {first}/{mc.Chips}" : $"chips {first}-{last}/{mc.Chips}";
            var evals = Evaluator.EvaluateChips(analogModel, test, norm, batch.Length, mc.BatchSize, progress, label);
            for (int i = 0; i < batch.Length; i++)
            {
                var r = new ChipResult(batch[i].Chip, evals[i].Accuracy, batch[i].Corner!.Value);
                results[r.Chip] = r;
                if (mc.ResultsPath is not null) JsonLines.Append(mc.ResultsPath,
                    new Line(Chip: r.Chip, Corner: r.Corner, Accuracy: r.Accuracy));
            }
        }
        var perChip = results.Values.ToList();
        var corners = perChip.GroupBy(c => c.Corner).OrderBy(g => g.Key)
            .Select(g =>
                new CornerStats(g.Key, g.Count(), g.Average(c => c.Accuracy), g.Min(c => c.Accuracy),
                mc.CornerNames?[g.Key % mc.CornerNames.Length])).ToList();
        return new ChipEvaluationResult(fl, quant, AccuracyStats.Of(perChip.Select(c => c.Accuracy).ToList()), perChip,
            corners);
    }

    /// <summary>
    /// Chips already in the results file (its first line is the key of what produced them); a torn last line (killed
    /// mid-write) is dropped.
    /// </summary>
    static Dictionary<long, ChipResult> ReadDone(MonteCarloOptions mc, ImageSet test)
    {
        var path = mc.ResultsPath!;
        if (Directory.Exists(path)) throw new ImcInputException(
            $"{path}: is a directory: expected a results file (.jsonl)");
        var key = RunKey.Of((mc.Key ?? RunKey.Of()).Parts.Select(kv => (kv.Key, (object)kv.Value))
            .Append(("test_set", $"{test.Count} images {test.Fingerprint()}"))
            .Append(("corners", mc.CornerNames is { Length: > 0 } n ? string.Join(",", n) : mc.CornerCount.ToString()))
                .ToArray());
        var lines = JsonLines.Read<Line>(path, "a chip result");
        if (lines.Count == 0)
        {
            lines.Add(new Line(Key: key.Parts));
            JsonLines.Append(path, lines[0]);
        }
        else key.Check(lines[0].Key, path, "holds chip results of");
        if (mc.MergeFrom.Count > 0) lines = Merge(path, key, lines, mc.MergeFrom);
        return lines.Skip(1).Where(l => l.Chip is not null && l.Accuracy is not null)
            .GroupBy(l => l.Chip!.Value).ToDictionary(g => g.Key,
                g => new ChipResult(g.Key, g.Last().Accuracy!.Value, g.Last().Corner ?? 0));
    }

    /// <summary>
    /// The results file's lines with the chips of <paramref name="blocks"/> (each keyed as this run) joined in, by
    /// chip; written back (then renamed). A chip two files disagree on is an error: they are not one Monte Carlo.
    /// </summary>
    static List<Line> Merge(string path, RunKey key, List<Line> lines, IReadOnlyList<string> blocks)
    {
        var chips = new SortedDictionary<long, (Line Line, string From)>();
        void Add(IEnumerable<Line> found, string from)
        {
            foreach (var l in found.Where(l => l.Chip is not null && l.Accuracy is not null))
            {
                if (chips.TryGetValue(l.Chip!.Value, out var prior)
                    && (prior.Line.Accuracy != l.Accuracy || (prior.Line.Corner ?? 0) != (l.Corner ?? 0)))
                    throw new ImcInputException($"{from}: chip {l.Chip} has accuracy {l.Accuracy} in corner " +
                        $"{l.Corner ?? 0}, {prior.From} has {prior.Line.Accuracy} in corner " +
                        $"{prior.Line.Corner ?? 0}: expected blocks of one Monte Carlo");
                chips[l.Chip.Value] = (l, from);
            }
        }
        Add(lines.Skip(1), path);
        foreach (var block in blocks)
        {
            if (Path.GetFullPath(block) == Path.GetFullPath(path)) continue;
            if (!File.Exists(block)) throw new ImcInputException($"{block}: no such results file to merge");
            var found = JsonLines.Read<Line>(block, "a chip result");
            if (found.Count == 0) throw new ImcInputException($"{block}: empty: expected chip results to merge");
            key.Check(found[0].Key, block, "holds chip results of");
            Add(found.Skip(1), block);
        }
        var merged = chips.Values.Select(c => c.Line).Prepend(lines[0]).ToList();
        JsonLines.Write(path, merged);
        return merged;
    }
}
