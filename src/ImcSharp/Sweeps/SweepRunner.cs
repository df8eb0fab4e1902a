using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using ImcSharp.Config;
using ImcSharp.Converters;
using ImcSharp.Cost;
using ImcSharp.Data;
using ImcSharp.Evaluation;
using ImcSharp.IO;
using ImcSharp.Models;
using ImcSharp.Reporting;
using ImcSharp.Training;

namespace ImcSharp.Sweeps;

/// <summary>
/// Runs a sweep's points (or one shard of them) and appends one JSON line per finished point, so
/// a killed sweep resumes at the next unfinished point; within a point, finished chips are kept
/// too. Points are independent; a shard trains its own float network (deterministic) so shards
/// share nothing but the output directory.
/// </summary>
public static class SweepRunner
{
    /// <param name="device">Device the networks train and the chips compute on ("cpu", "cuda", "cuda:N").</param>
    public static List<SweepResult> Run(SweepSpec spec, string outDir, Shard shard, string? dataDir,
        ProgressSink? progress, Action<string> log,
        CancellationToken cancel = default, string device = "cpu")
    {
        var file = Path.Combine(outDir, shard.FileName);
        // Shards share the directory; each locks its own points file.
        using var runLock = RunLock.File(file);
        var done = Read(file).ToDictionary(r => r.Id);
        var points = spec.Points();
        var mine = points.Select((p, i) => (p, i)).Where(x => shard.Owns(x.i)).Select(x => x.p).ToList();
        using var train = DatasetCatalog.Load(spec.Dataset, dataDir, Split.Train);
        using var testAll = DatasetCatalog.Load(spec.Dataset, dataDir, Split.Test);
        using var test = testAll.Take(spec.TestImages > 0 ? Math.Min(spec.TestImages, testAll.Count) : testAll.Count);
        var designs = new PointDesigns(spec, train);
        // A finished point is reused only if the same design, training, data and chips produced it.
        var keys = mine.ToDictionary(p => p.Id, p => PointKey(spec, designs.Hardware(p), p, train, test));
        foreach (var p in mine.Where(p => done.ContainsKey(p.Id))) keys[p.Id].Check(done[p.Id].Key, file,
            $"holds point {p.Id} of");
        log($"{spec.Name}: {points.Count} points, shard {shard.Index}/{shard.Count} " +
            $"runs {mine.Count}, {mine.Count(p => done.ContainsKey(p.Id))} already done ({file})");
        // A finished point's accuracy is reused; its price is the cost model's of today (pricing is instant).
        var repriced = done.Values.ToDictionary(r => r.Id, r => Repriced(r, designs));
        if (mine.All(p => done.ContainsKey(p.Id))) return mine.Select(p => repriced[p.Id]).ToList();
        var runs = new PointRuns(spec, outDir, shard.Count == 1 ? "float" : $"float-shard-{shard.Index}", train,
            progress, log, cancel, device);
        var results = new List<SweepResult>();
        foreach (var point in mine)
        {
            cancel.ThrowIfCancellationRequested();
            if (repriced.TryGetValue(point.Id, out var prior)) { results.Add(prior); continue; }
            var sw = Stopwatch.StartNew();
            var hw = designs.Hardware(point);
            var ckpt = runs.Network(point, hw, test);
            log($"{point.Id}: {spec.Chips} chips");
            var r = runs.Chips(ckpt, hw, test, spec.Chips, Path.Combine(outDir, "chips", point.Id + ".jsonl"));
            var cost = designs.Price(point);
            var result =
                new SweepResult(point.Id, point.Adc, point.Bits, Json.Name(point.Calibration), point.AdcShare,
                point.Training, spec.Chips,
                r.Accuracy.Mean, r.Accuracy.Std, r.Accuracy.Min, r.WorstCorner, cost.EnergyPerInferenceJ, cost.AreaMm2,
                    cost.AdcEnergyShare, cost.AdcAreaShare,
                cost.TopsPerW, sw.Elapsed.TotalSeconds, keys[point.Id].Parts);
            JsonLines.Append(file, result);
            results.Add(result);
        }
        return results;
    }

    /// <summary>
    /// A finished point priced again with today's cost model (its accuracies as they were): a stored price is the
    /// model's of the day the point ran. A point the spec no longer has is left as it is.
    /// </summary>
    public static SweepResult Repriced(SweepResult r, PointDesigns designs)
    {
        if (designs.Point(r.Id) is not { } point) return r;
        var cost = designs.Price(point);
        return r with
        {
            EnergyPerInferenceJ = cost.EnergyPerInferenceJ, AreaMm2 = cost.AreaMm2,
            AdcEnergyShare = cost.AdcEnergyShare, AdcAreaShare = cost.AdcAreaShare, TopsPerW = cost.TopsPerW,
        };
    }

    /// <summary>
    /// What a point's result depends on: its design (and price), the training, the data and the chips.
    /// </summary>
    public static RunKey PointKey(SweepSpec spec, HardwareConfig hw, SweepPoint p, ImageSet train, ImageSet test,
        int? chips = null) => RunKey.Of(
        ("design", hw.Fingerprint()),
        ("cost", RunKey.Hash(JsonSerializer.SerializeToUtf8Bytes(hw.Cost, Json.Options))),
        ("training",
            (spec.FloatCheckpoint is { } f ? $"{spec.Model} float {RunKey.HashFile(f)}"
                : $"{spec.Model} float {spec.FloatEpochs} epochs seed {spec.Seed}")
            + (p.Training == "aware"
            ? $", aware {spec.AwareEpochs} epochs lr {spec.AwareLr} on {spec.AwareTrainImages} images" : "")),
        ("train_set", train.Fingerprint()),
        ("test_set", $"{test.Count} images {test.Fingerprint()}"),
        ("chips", $"{chips ?? spec.Chips} in {Math.Min(spec.Corners, chips ?? spec.Chips)} corners"),
        ("calibration_images", spec.CalibrationImages));

    /// <summary>
    /// The point's design: the base hardware with the point's ADC (its resolution, calibration, the base's range) and
    /// column sharing.
    /// </summary>
    public static HardwareConfig Hardware(HardwareConfig baseHw, AdcConfig adc, SweepPoint p)
    {
        var pointAdc = adc.WithBits(p.Bits) with { Calibration = p.Calibration, Range = baseHw.Adc.Range,
            Bias = baseHw.Adc.Bias };
        var compensation = baseHw.Compensation;
        if (CompensationChoice.Parse(p.Compensation) is { } c)
        {
            pointAdc = pointAdc with
            {
                OffsetTrim = c.OffsetTrim, OffsetRetrim = c.OffsetTrim && pointAdc.OffsetRetrim,
            };
            compensation = c.OutputGain || c.BatchNorm
                ? (baseHw.Compensation ?? new()) with { OutputGain = c.OutputGain, BatchNorm = c.BatchNorm } : null;
        }
        var suffix = CompensationChoice.Suffix(p.Compensation);
        return baseHw with
        {
            Name = $"{baseHw.Name}-{p.Adc}-{p.Bits}b-{Json.Name(p.Calibration)}-share{p.AdcShare}{suffix}",
            Core = baseHw.Core with { AdcShare = p.AdcShare },
            Adc = pointAdc,
            Compensation = compensation,
        };
    }

    /// <summary>Results in a JSON Lines file; a torn last line (killed mid-write) is dropped from the file.</summary>
    public static List<SweepResult> Read(string file) => JsonLines.Read<SweepResult>(file, "a sweep result");

    /// <summary>
    /// Joins every shard's file in <paramref name="outDir"/> into points.jsonl (in the spec's point order); returns the
    /// points and the ids still missing.
    /// </summary>
    public static (List<SweepResult> Results, List<string> Missing) Merge(SweepSpec spec, string outDir)
    {
        var byId = new Dictionary<string, SweepResult>();
        foreach (var f in (Directory.Exists(outDir) ? Directory.GetFiles(outDir, "points*.jsonl")
            : Array.Empty<string>()).OrderBy(f => f, StringComparer.Ordinal))
            foreach (var r in Read(f)) byId.TryAdd(r.Id, r);
        var points = spec.Points();
        var merged = points.Where(p => byId.ContainsKey(p.Id)).Select(p => byId[p.Id]).ToList();
        // Nothing to join leaves what is on disk as it was (no empty points.jsonl).
        if (merged.Count > 0) JsonLines.Write(Path.Combine(outDir, "points.jsonl"), merged);
        return (merged, points.Where(p => !byId.ContainsKey(p.Id)).Select(p => p.Id).ToList());
    }

    /// <summary>sweep.md: the table (Pareto-optimal points marked) and the two Pareto plots.</summary>
    public static (string Markdown, List<string> Plots) Report(SweepSpec spec, List<SweepResult> results, string outDir,
        IReadOnlyList<string>? missing = null)
    {
        var plots = new List<string>();
        plots.AddRange(CostPlots.Pareto(Path.Combine(outDir, "pareto-energy"),
            $"{spec.Model} on {spec.Dataset}: accuracy vs energy ({results.Count} designs)",
            "energy per inference (nJ)",
                results.Select(r => (r.Id, r.EnergyPerInferenceJ * 1e9, r.Mean, $"{r.Adc}, {r.Training}")).ToList()));
        plots.AddRange(CostPlots.Pareto(Path.Combine(outDir, "pareto-area"),
            $"{spec.Model} on {spec.Dataset}: accuracy vs area ({results.Count} designs)",
            "area (mm2)", results.Select(r => (r.Id, r.AreaMm2, r.Mean, $"{r.Adc}, {r.Training}")).ToList()));
        var energyFront = CostPlots.Front(results.Select(r => (r.EnergyPerInferenceJ, r.Mean)).ToList()).ToHashSet();
        var areaFront = CostPlots.Front(results.Select(r => (r.AreaMm2, r.Mean)).ToList()).ToHashSet();
        static string P(double x) => (x * 100).ToString("F2", CultureInfo.InvariantCulture);
        var sb = new StringBuilder();
        sb.AppendLine($"# Sweep {spec.Name}: {spec.Model} on {spec.Dataset}, {results.Count} points");
        sb.AppendLine();
        sb.AppendLine(
            "Accuracy (%) over Monte Carlo chips; Pareto: optimal in accuracy vs energy (E) and/or area (A).");
        sb.AppendLine();
        sb.AppendLine(
            "| point | ADC | bits | calibration | share | training | mean | worst | worst corner | energy/inference " +
            "(nJ) | area (mm2) | ADC energy share | ADC area share | Pareto |");
        sb.AppendLine("|---|---|---:|---|---:|---|---:|---:|---:|---:|---:|---:|---:|---|");
        foreach (var r in results.OrderBy(r => r.EnergyPerInferenceJ))
        {
            var pareto =
                (energyFront.Contains((r.EnergyPerInferenceJ, r.Mean)) ? "E" : "")
                + (areaFront.Contains((r.AreaMm2, r.Mean)) ? "A" : "");
            sb.AppendLine(string.Create(CultureInfo.InvariantCulture,
                $"| {r.Id} | {r.Adc} | {r.AdcBits} | {r.Calibration} | {r.AdcShare} | {r.Training} | {P(r.Mean)} " +
                $"| {P(r.Worst)} | {P(r.WorstCorner)} | {r.EnergyPerInferenceJ * 1e9:F2} | {r.AreaMm2:F4} " +
                $"| {P(r.AdcEnergyShare)}% | {P(r.AdcAreaShare)}% | {pareto} |"));
        }
        sb.AppendLine();
        if (missing is { Count: > 0 })
        {
            // A partial merge says so where it is read: the table covers only the finished points.
            sb.AppendLine(
                $"**Incomplete: {missing.Count} of {results.Count + missing.Count} points not finished** (their " +
                "shards have not run or were interrupted):");
            sb.AppendLine();
            foreach (var id in missing) sb.AppendLine($"- {id}");
            sb.AppendLine();
        }
        foreach (var p in plots.Where(p => p.EndsWith(".png", StringComparison.Ordinal)))
            sb.AppendLine($"![{Path.GetFileNameWithoutExtension(p)}]({Path.GetFileName(p)})");
        AtomicFile.WriteAllText(Path.Combine(outDir, "sweep.md"), sb.ToString());
        return (sb.ToString(), plots);
    }
}
