using System.Diagnostics;
using System.Globalization;
using System.Text;
using ImcSharp.Config;
using ImcSharp.Cost;
using ImcSharp.Data;
using ImcSharp.Evaluation;
using ImcSharp.IO;
using ImcSharp.Reporting;
using ImcSharp.Training;

namespace ImcSharp.Sweeps;

/// <summary>
/// One measurement of a search (one line of search*.jsonl): a point at one rung (accuracies 0..1, seconds of chip
/// evaluation), or with <see cref="Rung"/> "train" the seconds a network took to train.
/// </summary>
public sealed record SearchStep(string Id, string Rung, int Chips, int TestImages, double Mean, double Worst,
    double WorstCorner, double Metric, double Seconds, SortedDictionary<string, string>? Key = null);

/// <summary>A candidate as reported: its design, price, what became of it and its measurements.</summary>
public sealed record SearchRow(string Id, string Adc, int AdcBits, string Calibration, int AdcShare,
    string Compensation, string Training, double Cost, double EnergyPerInferenceJ, double AreaMm2, double LatencyS,
    string Status, List<RungVerdict> Steps);

/// <summary>The chosen design: its point, price, metric at the full rung, and the files to use it.</summary>
public sealed record SearchChoice(string Id, double Cost, double EnergyPerInferenceJ, double AreaMm2,
    double Metric, string Config, string Network);

/// <summary>The full grid run for comparison (`imc search --grid`).</summary>
public sealed record SearchGridCheck(string? Chosen, bool SameAnswer, int Evaluated, double Seconds);

/// <summary>JSON result of `imc search`.</summary>
public sealed record SearchReport(string Name, string Model, string Dataset, SearchTarget Target, string Minimise,
    List<SearchRung> Rungs, SearchChoice? Chosen, int GridPoints, int Evaluated, Dictionary<string, int> Measurements,
    double SearchSeconds, double WallSeconds, List<SearchRow> Candidates, SearchGridCheck? Grid,
    List<string> Missing);

/// <summary>
/// Runs `imc search`: prices every point of the spec's space, then <see cref="DesignSearch.CheapestFirst"/> measures
/// the fewest it can (networks and chips through <see cref="PointRuns"/>, as a sweep does). Every measurement is
/// appended to search.jsonl (a shard's own file) with the key of what produced it, so a run resumes, and the shards
/// of a Slurm array (each searching its share: point k of the cost order goes to shard k mod n) are joined by
/// replaying the search over all their measurements (<see cref="Merge"/>): the cheapest design any shard accepted is
/// the answer, since every cheaper one was rejected in its own shard.
/// </summary>
public static class SearchRunner
{
    /// <summary>A measurement the replay of a merge needs but no shard has made yet.</summary>
    sealed class Missing(string id) : Exception(id) { public string Id { get; } = id; }

    sealed class Context
    {
        public required SearchSpec Spec { get; init; }
        public required string OutDir { get; init; }
        public required PointDesigns Designs { get; init; }
        public required ImageSet Train { get; init; }
        public required List<SearchRung> Rungs { get; init; }
        public required Dictionary<string, NetworkCost> Prices { get; init; }
        public required List<SearchCandidate> Candidates { get; init; }
        public Dictionary<(string, int, int), SearchStep> Recorded { get; } = new();
        public Dictionary<string, double> Training { get; } = new();

        /// <summary>The recorded measurement of a point at a rung, if any.</summary>
        public SearchStep? At(string id, SearchRung rung) =>
            Recorded.GetValueOrDefault((id, rung.Chips, rung.TestImages));
    }

    public static SearchReport Run(SearchSpec spec, string outDir, Shard shard, string? dataDir, bool grid,
        ProgressSink? progress, Action<string> log, CancellationToken cancel = default, string device = "cpu")
    {
        var wall = Stopwatch.StartNew();
        var file = Path.Combine(outDir, StepsFile(shard));
        using var runLock = RunLock.File(file);
        using var train = DatasetCatalog.Load(spec.Dataset, dataDir, Split.Train);
        using var testAll = DatasetCatalog.Load(spec.Dataset, dataDir, Split.Test);
        using var test = testAll.Take(spec.TestImages > 0 ? Math.Min(spec.TestImages, testAll.Count) : testAll.Count);
        var ctx = Prepare(spec, outDir, train, test);
        var mine = ctx.Candidates.Where((_, k) => shard.Owns(k)).ToList();
        var runs = new PointRuns(spec, outDir, shard.Count == 1 ? "float" : $"float-shard-{shard.Index}", train,
            progress, log, cancel, device);
        var subsets = new Dictionary<int, ImageSet>();
        try
        {
            double Measure(SearchCandidate c, SearchRung rung)
            {
                cancel.ThrowIfCancellationRequested();
                var hw = ctx.Designs.Hardware(c.Point);
                if (!subsets.TryGetValue(rung.TestImages, out var images))
                    subsets[rung.TestImages] = images = test.Take(rung.TestImages);
                var key = StepKey(ctx, c.Point, hw, rung, images);
                if (Lookup(ctx, c.Point.Id, rung, key) is { } prior) return prior.Metric;
                var ckpt = runs.Network(c.Point, hw, test);
                foreach (var (name, seconds) in runs.TrainingSeconds.Where(t => !ctx.Training.ContainsKey(t.Key)))
                {
                    ctx.Training[name] = seconds;
                    JsonLines.Append(file, new SearchStep(name, "train", 0, 0, 0, 0, 0, 0, seconds));
                }
                log($"{c.Point.Id}: {rung.Chips} chips on {rung.TestImages} images ({rung.Name})");
                var sw = Stopwatch.StartNew();
                var r = runs.Chips(ckpt, hw, images, rung.Chips, Path.Combine(outDir, "chips",
                    $"{c.Point.Id}-{rung.Chips}c-{rung.TestImages}i.jsonl"));
                var step = new SearchStep(c.Point.Id, rung.Name, rung.Chips, rung.TestImages, r.Accuracy.Mean,
                    r.Accuracy.Min, r.WorstCorner, Metric(spec.Target, r.Accuracy.Mean, r.Accuracy.Min, r.WorstCorner),
                    sw.Elapsed.TotalSeconds, key.Parts);
                JsonLines.Append(file, step);
                ctx.Recorded[(step.Id, step.Chips, step.TestImages)] = step;
                return step.Metric;
            }
            log($"{spec.Name}: {ctx.Candidates.Count} points in the space, shard {shard.Index}/{shard.Count} " +
                $"searches {mine.Count}; target {spec.Target.Accuracy * 100:F2}% on the {spec.Target.On}, " +
                $"minimising {spec.Minimise}");
            var outcome = DesignSearch.CheapestFirst(mine, ctx.Rungs, spec.Target.Accuracy, spec.Screen.Z, Measure);
            SearchGridCheck? gridCheck = null;
            if (grid)
            {
                var g = DesignSearch.Grid(mine, ctx.Rungs[^1], spec.Target.Accuracy, Measure);
                gridCheck = new SearchGridCheck(g.Chosen?.Point.Id, g.Chosen?.Point.Id == outcome.Chosen?.Point.Id,
                    g.Evaluated, Seconds(ctx, g));
            }
            return Report(ctx, outcome, gridCheck, wall.Elapsed.TotalSeconds, new());
        }
        finally
        {
            foreach (var s in subsets.Values) s.Dispose();
        }
    }

    /// <summary>
    /// Joins the shards' measurements in <paramref name="outDir"/> by replaying the search over all of them; the
    /// report lists the points a shard has still to measure.
    /// </summary>
    public static SearchReport Merge(SearchSpec spec, string outDir, string? dataDir)
    {
        var wall = Stopwatch.StartNew();
        using var train = DatasetCatalog.Load(spec.Dataset, dataDir, Split.Train);
        using var testAll = DatasetCatalog.Load(spec.Dataset, dataDir, Split.Test);
        using var test = testAll.Take(spec.TestImages > 0 ? Math.Min(spec.TestImages, testAll.Count) : testAll.Count);
        var ctx = Prepare(spec, outDir, train, test);
        var missing = new List<string>();
        double Replay(SearchCandidate c, SearchRung rung) =>
            ctx.At(c.Point.Id, rung)?.Metric ?? throw new Missing(c.Point.Id);
        SearchOutcome outcome;
        var candidates = ctx.Candidates.ToList();
        while (true)
        {
            try { outcome = DesignSearch.CheapestFirst(candidates, ctx.Rungs, spec.Target.Accuracy, spec.Screen.Z,
                Replay); break; }
            catch (Missing m)
            {
                // Its shard has not measured it: the answer is open until it has; replay the rest to show them.
                missing.Add(m.Id);
                candidates.RemoveAll(c => c.Point.Id == m.Id);
            }
        }
        return Report(ctx, outcome, null, wall.Elapsed.TotalSeconds, missing);
    }

    static string StepsFile(Shard shard) =>
        shard.Count == 1 ? "search.jsonl" : $"search.shard-{shard.Index}-of-{shard.Count}.jsonl";

    static Context Prepare(SearchSpec spec, string outDir, ImageSet train, ImageSet test)
    {
        var designs = new PointDesigns(spec, train);
        var prices = spec.Points().ToDictionary(p => p.Id, designs.Price);
        var ctx = new Context
        {
            Spec = spec, OutDir = outDir, Designs = designs, Train = train, Rungs = spec.Rungs((int)test.Count),
            Prices = prices, Candidates = DesignSearch.Order(spec.Points()
                .Select(p => new SearchCandidate(p, Cost(spec.Minimise, prices[p.Id]),
                    spec.Minimise == "energy" ? prices[p.Id].AreaMm2 : prices[p.Id].EnergyPerInferenceJ))),
        };
        var files = Directory.Exists(outDir) ? Directory.GetFiles(outDir, "search*.jsonl") : Array.Empty<string>();
        foreach (var f in files.OrderBy(f => f, StringComparer.Ordinal))
            foreach (var s in JsonLines.Read<SearchStep>(f, "a search measurement"))
                if (s.Rung == "train") ctx.Training.TryAdd(s.Id, s.Seconds);
                else ctx.Recorded.TryAdd((s.Id, s.Chips, s.TestImages), s);
        return ctx;
    }

    /// <summary>The quantity minimised: J per inference, mm^2, or J x s x mm^2.</summary>
    public static double Cost(string minimise, NetworkCost c) => minimise switch
    {
        "area" => c.AreaMm2,
        "edap" => c.EnergyPerInferenceJ * c.LatencyS * c.AreaMm2,
        _ => c.EnergyPerInferenceJ,
    };

    /// <summary>The target's metric from a Monte Carlo run's mean, worst chip and worst corner.</summary>
    public static double Metric(SearchTarget t, double mean, double worstChip, double worstCorner) => t.On switch
    {
        "mean" => mean,
        "worst-chip" => worstChip,
        _ => worstCorner,
    };

    /// <summary>
    /// What a measurement depends on: the point's design, training and data, the rung's chips and images.
    /// </summary>
    static RunKey StepKey(Context ctx, SweepPoint p, HardwareConfig hw, SearchRung rung, ImageSet images) =>
        SweepRunner.PointKey(ctx.Spec, hw, p, ctx.Train, images, rung.Chips);

    static SearchStep? Lookup(Context ctx, string id, SearchRung rung, RunKey key)
    {
        if (ctx.At(id, rung) is not { } prior) return null;
        key.Check(prior.Key, Path.Combine(ctx.OutDir, "search*.jsonl"), $"holds a measurement of {id} from");
        return prior;
    }

    /// <summary>
    /// Chip-evaluation seconds of an outcome's measurements plus the training of the networks it used.
    /// </summary>
    static double Seconds(Context ctx, SearchOutcome o)
    {
        // By the rung's chips and images: a file may also hold measurements of an earlier screen of the same name.
        double chips = o.Candidates.Sum(c => c.Steps.Sum(s =>
            ctx.At(c.Candidate.Point.Id, ctx.Rungs.First(r => r.Name == s.Rung))?.Seconds ?? 0));
        var networks = o.Candidates.Where(c => c.Steps.Count > 0)
            .Select(c => c.Candidate.Point.Training == "aware" ? c.Candidate.Point.Id : "float").Append("float")
            .Distinct();
        return chips + networks.Sum(n => ctx.Training.GetValueOrDefault(n));
    }

    static SearchReport Report(Context ctx, SearchOutcome outcome, SearchGridCheck? grid, double wall,
        List<string> missing)
    {
        var spec = ctx.Spec;
        Directory.CreateDirectory(ctx.OutDir);
        SearchRow Row(SearchCandidate c, string status, List<RungVerdict> steps)
        {
            var (p, price) = (c.Point, ctx.Prices[c.Point.Id]);
            return new SearchRow(p.Id, p.Adc, p.Bits, Json.Name(p.Calibration), p.AdcShare, p.Compensation,
                p.Training, c.Cost, price.EnergyPerInferenceJ, price.AreaMm2, price.LatencyS, status, steps);
        }
        var rows = outcome.Candidates.Select(o => Row(o.Candidate, o.Status, o.Steps))
            .Concat(missing.Select(id => Row(ctx.Candidates.First(c => c.Point.Id == id),
                "not yet measured (its shard has not run)", new()))).ToList();
        SearchChoice? choice = null;
        if (outcome.Chosen is { } chosen && missing.Count == 0)
        {
            var hw = ctx.Designs.Hardware(chosen.Point);
            var price = ctx.Prices[chosen.Point.Id];
            var configPath = Path.Combine(ctx.OutDir, "chosen.json");
            Json.WriteFile(configPath, hw with
            {
                Description = $"imc search {spec.Name}: the cheapest design by {spec.Minimise} of " +
                    $"{ctx.Candidates.Count} holding {spec.Target.Accuracy * 100:F2}% on the {spec.Target.On} " +
                    $"({spec.Model}, {spec.Dataset}, " +
                    $"{chosen.Point.Training} training). " + hw.Description,
            });
            var networkDir = chosen.Point.Training == "aware"
                ? Path.Combine(ctx.OutDir, "aware", chosen.Point.Id) : Path.Combine(ctx.OutDir, "float");
            var network = chosen.Point.Training == "float" && spec.FloatCheckpoint is { } given ? given
                : Directory.Exists(networkDir) ? Directory.GetFiles(networkDir, "*.ckpt").OrderBy(f => f.Length)
                    .FirstOrDefault() ?? networkDir : networkDir;
            choice = new SearchChoice(chosen.Point.Id, chosen.Cost, price.EnergyPerInferenceJ, price.AreaMm2,
                outcome.Candidates.First(c => c.Candidate == chosen).Steps[^1].Metric, configPath, network);
        }
        var report = new SearchReport(spec.Name, spec.Model, spec.Dataset, spec.Target, spec.Minimise, ctx.Rungs,
            choice, ctx.Candidates.Count, outcome.Evaluated, outcome.Measurements, Seconds(ctx, outcome), wall, rows,
            grid, missing);
        Markdown(report, Plots(report, ctx.OutDir), ctx.OutDir, FullMetrics(ctx));
        return report;
    }

    static string CostUnit(string minimise) => minimise switch
    {
        "area" => "area (mm2)", "edap" => "energy x delay x area (nJ us mm2)", _ => "energy per inference (nJ)",
    };

    static double CostShown(string minimise, double cost) => minimise switch
    {
        "area" => cost, "edap" => cost * 1e15, _ => cost * 1e9,
    };

    static List<string> Plots(SearchReport r, string outDir)
    {
        var points = r.Candidates.Where(c => c.Steps.Count > 0).Select(c =>
        {
            var last = c.Steps[^1];
            var group = c.Status == "chosen" ? "chosen" : last.Rung == "full" ? $"measured in full ({c.Training})"
                : $"rejected at the screen ({c.Training})";
            return (c.Id, CostShown(r.Minimise, c.Cost), last.Metric, group);
        }).ToList();
        if (points.Count == 0) return new();
        return CostPlots.Pareto(Path.Combine(outDir, "search"),
            $"{r.Model}: {r.Target.On} accuracy vs cost, target {r.Target.Accuracy * 100:F1}% " +
            $"({r.Evaluated} of {r.GridPoints} designs measured)", CostUnit(r.Minimise), points,
            yLabel: $"{r.Target.On} accuracy (%), last measurement", target: r.Target.Accuracy);
    }

    /// <summary>Every point's full-rung metric on record (the search's and the grid's).</summary>
    static Dictionary<string, double> FullMetrics(Context ctx)
    {
        var full = ctx.Rungs[^1];
        return ctx.Candidates.Where(c => ctx.At(c.Point.Id, full) is not null)
            .ToDictionary(c => c.Point.Id, c => ctx.At(c.Point.Id, full)!.Metric);
    }

    static void Markdown(SearchReport r, List<string> plots, string outDir, Dictionary<string, double> full)
    {
        static string P(double x) => (x * 100).ToString("F2", CultureInfo.InvariantCulture);
        var sb = new StringBuilder();
        sb.AppendLine($"# Search {r.Name}: {r.Model} on {r.Dataset}");
        sb.AppendLine();
        var rungs = string.Join(", ", r.Rungs.Select(g => $"{g.Name} = {g.Chips} chips on {g.TestImages} images"));
        sb.AppendLine(string.Create(CultureInfo.InvariantCulture,
            $"Target: {P(r.Target.Accuracy)}% on the {r.Target.On}; minimising {r.Minimise}. Rungs: " +
            $"{rungs}."));
        sb.AppendLine();
        sb.AppendLine(r.Chosen is { } c
            ? string.Create(CultureInfo.InvariantCulture,
                $"**Chosen: {c.Id}**, {P(c.Metric)}% on the {r.Target.On}, {c.EnergyPerInferenceJ * 1e9:F3} nJ per " +
                $"inference, {c.AreaMm2:F4} mm2 (config `{Path.GetFileName(c.Config)}`).")
            : r.Missing.Count > 0 ? $"**Incomplete**: {r.Missing.Count} points not yet measured by their shards."
            : $"**No design in the space holds the target.**");
        sb.AppendLine();
        sb.AppendLine(string.Create(CultureInfo.InvariantCulture,
            $"Measured {r.Evaluated} of {r.GridPoints} points (" +
            $"{string.Join(", ", r.Measurements.Select(kv => $"{kv.Value} at {kv.Key}"))}); " +
            $"search time {r.SearchSeconds:F0} s (chip evaluations and the networks they needed)."));
        if (r.Grid is { } g)
            sb.AppendLine(string.Create(CultureInfo.InvariantCulture,
                $"Full grid: {g.Evaluated} points measured in full, {g.Seconds:F0} s; it chooses " +
                $"{g.Chosen ?? "none"}: {(g.SameAnswer ? "the same answer" : "**a different answer**")}."));
        sb.AppendLine();
        sb.AppendLine(
            $"| point | training | {CostUnit(r.Minimise)} | energy (nJ) | area (mm2) | screen | full | status |");
        sb.AppendLine("|---|---|---:|---:|---:|---:|---:|---|");
        // The full column shows every full measurement on record, the grid's included.
        foreach (var row in r.Candidates)
        {
            string screen = row.Steps.FirstOrDefault(s => s.Rung == "screen") is { } s ? P(s.Metric) : "";
            string inFull = full.TryGetValue(row.Id, out var f) ? P(f) : "";
            sb.AppendLine(string.Create(CultureInfo.InvariantCulture,
                $"| {row.Id} | {row.Training} | {CostShown(r.Minimise, row.Cost):G4} | " +
                $"{row.EnergyPerInferenceJ * 1e9:F3} | {row.AreaMm2:F4} | {screen} | {inFull} | " +
                $"{row.Status} |"));
        }
        sb.AppendLine();
        foreach (var p in plots.Where(p => p.EndsWith(".png", StringComparison.Ordinal)))
            sb.AppendLine($"![{Path.GetFileNameWithoutExtension(p)}]({Path.GetFileName(p)})");
        AtomicFile.WriteAllText(Path.Combine(outDir, "search.md"), sb.ToString());
    }
}
