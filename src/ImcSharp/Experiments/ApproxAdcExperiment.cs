using System.Diagnostics;
using System.Globalization;
using System.Text;
using ImcSharp.Config;
using ImcSharp.Data;
using ImcSharp.Evaluation;
using ImcSharp.IO;
using ImcSharp.Nn;
using ImcSharp.Reporting;
using ImcSharp.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace ImcSharp.Experiments;

/// <summary>
/// One cell of the results table for one training seed (accuracies in 0..1). Training: float,
/// aware (peripheral-aware on the approximate design) or aware-ideal (the same fine-tuning on the
/// ideal ADC: the fair baseline of "approximate + aware").
/// </summary>
public sealed record ExperimentRow(string Dataset, string Model, string ArrayMode, int AdcBits, string Training,
    string Adc, int Chips,
    double Mean, double Std, double Worst, double WorstCorner, double P5, string Hardware, long Seed = 0,
        string? WorstCornerName = null);

/// <summary>
/// Peripheral-aware training against local mismatch only vs both variation levels, per global corner.
/// </summary>
public sealed record VariationStudyRow(string Model, string ArrayMode, int AdcBits, string TrainedOn, double Mean,
    double WorstCorner, List<CornerStats> Corners);

/// <summary>
/// Lowest ADC resolution whose approximate-ADC mean stays within the budget of the reference accuracy.
/// </summary>
public sealed record ResolutionBudget(string Model, string ArrayMode, double Reference, double BudgetPoints,
    int? FloatTrainedBits, int? AwareBits);

public sealed record ApproxAdcResult(string Name, string Dataset, bool Quick, string Machine, double Seconds,
    List<ExperimentRow> Rows,
    List<VariationStudyRow> VariationStudy, List<ResolutionBudget> ResolutionBudget, List<string> Plots, string Table);

/// <summary>
/// Runs the approx-adc experiment. Every expensive product is cached in the output directory
/// (float and aware checkpoints; each table cell's chips as JSON Lines), so a rerun or an
/// interrupted run picks up where it stopped and an unchanged rerun only rebuilds the table.
/// </summary>
public static class ApproxAdcExperiment
{
    public const double BudgetPoints = 0.5;
    static readonly string[] AdcKinds = { "ideal", "calibrated", "approximate" };

    /// <param name="device">Device the networks train and the chips compute on ("cpu", "cuda", "cuda:N").</param>
    public static ApproxAdcResult Run(ApproxAdcSpec spec, bool quick, string outDir, string? dataDir,
        ProgressSink? progress, Action<string> log,
        CancellationToken cancel = default, string device = "cpu")
    {
        var sw = Stopwatch.StartNew();
        using var runLock = RunLock.Directory(outDir);
        var run = quick ? spec.QuickSubset() : spec;
        var rows = new List<ExperimentRow>();
        var study = new List<VariationStudyRow>();
        var plots = new List<string>();
        using var trainAll = DatasetCatalog.Load(run.Dataset, dataDir, Split.Train);
        using var testAll = DatasetCatalog.Load(run.Dataset, dataDir, Split.Test);
        foreach (var m in run.Models)
        {
            using var test = m.TestImages > 0 ? testAll.Take(m.TestImages) : testAll.Take(testAll.Count);
            foreach (long seed in run.TrainingSeeds)
            {
                bool firstSeed = seed == run.TrainingSeeds[0];
                var seedDir = Path.Combine(outDir, m.Model, $"seed-{seed}");
                var floatOpts =
                    new TrainOptions { Model = m.Model, Dataset = run.Dataset, Epochs = m.FloatEpochs,
                    LearningRate = m.FloatLr, Seed = seed, Augment = m.Augment, Device = device };
                log($"{m.Model} seed {seed}: float training ({m.FloatEpochs} epochs, cached in {seedDir})");
                var floatCkpt =
                    Trainer.Train(floatOpts, trainAll, test, seedDir, resume: true, progress, cancel).CheckpointPath;
                foreach (var array in run.ArrayModes)
                {
                    var baseCfg = HardwareConfig.Load(array.Hardware);
                    foreach (int bits in run.AdcBits)
                    {
                        int chips = run.ChipsAt(m, bits);
                        var approx =
                            baseCfg with { Name = $"{baseCfg.Name}-{bits}b", Adc = baseCfg.Adc.WithBits(bits) };
                        // Named corners (or a population's) are the corners; otherwise the spec's count of random
                        // global draws.
                        var mc = new MonteCarloOptions { Chips = chips, Corners = Math.Min(run.Corners, chips),
                            Reference = false, CornerNames = Converters.AdcFactory.CornerNames(approx.Adc),
                            Device = device };
                        // Cached results are keyed by the design's content: an edited hardware config gets fresh runs.
                        var cellDir = Path.Combine(seedDir, $"{array.Name}-{bits}b-{approx.Fingerprint()}");
                        var designs = new Dictionary<string, HardwareConfig>
                        {
                            ["ideal"] = approx with { Name = $"{approx.Name}-ideal",
                                Adc = new AdcConfig { Kind = Converters.IdealArchitecture.Name, Bits = bits,
                                Range = approx.Adc.Range } },
                            ["calibrated"] = approx with {
                                Name = $"{approx.Name}-{run.Calibration.ToString().ToLowerInvariant()}",
                                Adc = approx.Adc with { Calibration = run.Calibration } },
                            ["approximate"] = approx,
                        };
                        var awareCkpt =
                            TrainAware(run, m, seed, approx, run.Variation, floatCkpt, cellDir, trainAll, test,
                            progress, log, cancel, device);
                        // Keyed by the ideal design's content: designs that differ only in their converters share it.
                        var idealAwareCkpt = TrainAware(run, m, seed, designs["ideal"], run.Variation, floatCkpt,
                            Path.Combine(seedDir, $"aware-on-ideal-{bits}b-{designs["ideal"].Fingerprint()}"), trainAll,
                                test, progress, log, cancel, device);
                        var results = new Dictionary<(string, string), ChipEvaluationResult>();
                        var cells = new[] { "float", "aware" }.SelectMany(t => AdcKinds.Select(a => (t, a)))
                            .Append(("aware-ideal", "ideal"));
                        foreach (var (training, adc) in cells)
                        {
                            var ckpt = training switch { "float" => floatCkpt, "aware" => awareCkpt,
                                _ => idealAwareCkpt };
                            log($"{m.Model} seed {seed} {array.Name} {bits}-bit: {training}-trained on {adc} " +
                                $"ADCs, {chips} chips");
                            var r = ChipEvaluation.EvaluateCheckpoint(ckpt, designs[adc], trainAll, test, mc with
                            {
                                ResultsPath = Path.Combine(cellDir, $"{training}-{adc}.jsonl"),
                                Key = ChipEvaluation.KeyFor(ckpt, designs[adc], run.CalibrationImages),
                            }, run.CalibrationImages, progress, cancel);
                            results[(training, adc)] = r;
                            rows.Add(new ExperimentRow(run.Dataset, m.Model, array.Name, bits, training, adc, chips,
                                r.Accuracy.Mean, r.Accuracy.Std,
                                r.Accuracy.Min, r.WorstCorner, r.Accuracy.P5, designs[adc].Name, seed,
                                    r.WorstCornerName));
                        }
                        if (firstSeed)
                            plots.AddRange(
                                ChipPlots.Histogram(Path.Combine(outDir, "plots",
                                $"{m.Model}-{array.Name}-{bits}b-chips"),
                                $"{m.Model}, {array.Name} mode, {bits}-bit uncalibrated ADC: {chips} chips " +
                                    $"(seed {seed})",
                                new (string, IReadOnlyList<double>)[]
                                {
                                    ("float-trained",
                                        results[("float", "approximate")].PerChip.Select(c => c.Accuracy).ToList()),
                                    ("peripheral-aware",
                                        results[("aware", "approximate")].PerChip.Select(c => c.Accuracy).ToList()),
                                },
                                new[] { ("ideal ADC, aware-trained on it, mean",
                                    results[("aware-ideal", "ideal")].Accuracy.Mean) }));
                        if (run.VariationStudy && firstSeed && bits == run.AdcBits[0])
                        {
                            var localCkpt =
                                TrainAware(run, m, seed, approx, ChipSampling.FreshLocal, floatCkpt,
                                Path.Combine(cellDir, "local-only"), trainAll, test, progress, log, cancel, device);
                            log($"{m.Model} {array.Name} {bits}-bit: trained on local mismatch only, approximate " +
                                $"ADCs, {chips} chips");
                            var local = ChipEvaluation.EvaluateCheckpoint(localCkpt, approx, trainAll, test, mc with
                            {
                                ResultsPath = Path.Combine(cellDir, "aware-local-approximate.jsonl"),
                                Key = ChipEvaluation.KeyFor(localCkpt, approx, run.CalibrationImages),
                            }, run.CalibrationImages, progress, cancel);
                            var both = results[("aware", "approximate")];
                            study.Add(new VariationStudyRow(m.Model, array.Name, bits, "local-only",
                                local.Accuracy.Mean, local.WorstCorner, local.Corners));
                            study.Add(new VariationStudyRow(m.Model, array.Name, bits, "global-and-local",
                                both.Accuracy.Mean, both.WorstCorner, both.Corners));
                        }
                    }
                    if (run.AdcBits.Count > 1 && firstSeed)
                    {
                        var x = run.AdcBits.Select(b => (double)b).ToArray();
                        ExperimentRow R(int b, string t, string a) =>
                            rows.Single(r => r.Model == m.Model && r.ArrayMode == array.Name && r.AdcBits == b
                            && r.Training == t && r.Adc == a && r.Seed == seed);
                        (string, double[], double[], double[]) Series(string label, string t, string a) =>
                            (label, x, run.AdcBits.Select(b => R(b, t, a).Mean).ToArray(),
                                run.AdcBits.Select(b => R(b, t, a).Worst).ToArray());
                        plots.AddRange(
                            ChipPlots.Lines(Path.Combine(outDir, "plots", $"{m.Model}-{array.Name}-accuracy-vs-bits"),
                            $"{m.Model}, {array.Name} mode: accuracy vs ADC resolution (seed {seed})",
                                "ADC resolution (bits)", new[]
                            {
                                Series("float-trained, ideal ADC", "float", "ideal"),
                                Series("aware-trained, ideal ADC", "aware-ideal", "ideal"),
                                Series("float-trained, calibrated ADC", "float", "calibrated"),
                                Series("float-trained, approximate ADC", "float", "approximate"),
                                Series("peripheral-aware, approximate ADC", "aware", "approximate"),
                            }));
                    }
                }
            }
        }
        var budgets = Budgets(run, rows);
        var table = Markdown(rows, study, budgets);
        return new ApproxAdcResult(run.Name, run.Dataset, quick, Machine(), sw.Elapsed.TotalSeconds, rows, study,
            budgets, plots, table);
    }

    static string TrainAware(ApproxAdcSpec run, ExperimentModel m, long seed, HardwareConfig hw, ChipSampling variation,
        string floatCkpt, string dir,
        ImageSet trainAll, ImageSet test, ProgressSink? progress, Action<string> log, CancellationToken cancel,
            string device)
    {
        var opts = new TrainOptions
        {
            Model = m.Model, Dataset = run.Dataset, Epochs = m.AwareEpochs, LearningRate = m.AwareLr, Seed = seed,
                Augment = m.Augment,
            TrainLimit = m.AwareTrainImages, Device = device,
        };
        var corners = variation == ChipSampling.FreshChip && Converters.AdcFactory.CornerNames(hw.Adc) is not null
            ? run.CornerSampling : CornerSampling.Drawn;
        var aware = new AwareOptions { Hardware = hw, Variation = variation, Corners = corners, Gradient = run.Ste,
            Init = Path.GetFullPath(floatCkpt), CalibrationImages = run.CalibrationImages };
        log($"{m.Model} on {hw.Name}: peripheral-aware fine-tuning ({Json.Name(variation)}" +
            $"{(corners == CornerSampling.Drawn ? "" : $", corners {Json.Name(corners)}")}, {m.AwareEpochs} epochs, " +
            $"cached in {dir})");
        using var train = m.AwareTrainImages > 0 ? trainAll.Take(m.AwareTrainImages) : trainAll.Take(trainAll.Count);
        return Trainer.Train(opts, train, test, dir, resume: true, progress, cancel, aware).CheckpointPath;
    }

    /// <summary>
    /// Per model and array mode: the reference is the float-trained network on the ideal ADC at the
    /// highest resolution run; each training's lowest resolution whose approximate-ADC mean is
    /// within <see cref="BudgetPoints"/> of it (null: none is).
    /// </summary>
    static List<ResolutionBudget> Budgets(ApproxAdcSpec run, List<ExperimentRow> rows)
    {
        var list = new List<ResolutionBudget>();
        foreach (var g in rows.GroupBy(r => (r.Model, r.ArrayMode)))
        {
            int top = g.Max(r => r.AdcBits);
            // Means over training seeds.
            double Mean(int bits, string training, string adc) =>
                g.Where(r => r.AdcBits == bits && r.Training == training && r.Adc == adc).Average(r => r.Mean);
            double reference = Mean(top, "float", "ideal");
            int? Lowest(string training) =>
                g.Select(r => r.AdcBits).Distinct()
                .Where(b => Mean(b, training, "approximate") >= reference - BudgetPoints / 100)
                .Select(b => (int?)b).Min();
            list.Add(new ResolutionBudget(g.Key.Model, g.Key.ArrayMode, reference, BudgetPoints, Lowest("float"),
                Lowest("aware")));
        }
        return list;
    }


    static string P(double x) => (x * 100).ToString("F2", CultureInfo.InvariantCulture);

    public static string Markdown(List<ExperimentRow> rows, List<VariationStudyRow> study,
        List<ResolutionBudget> budgets)
    {
        var sb = new StringBuilder();
        int seeds = rows.Select(r => r.Seed).Distinct().Count();
        if (seeds > 1) sb.AppendLine(
            $"Each cell: mean over {seeds} training seeds of the chip mean / worst chip over all seeds; seed spread " +
            "= max - min of the seeds' approximate-ADC means.").AppendLine();
        sb.AppendLine(
            "| model | array | ADC bits | training | chips | ideal ADC mean / worst | calibrated ADC mean / worst | " +
            "approximate ADC mean / worst | approximate worst corner | seed spread |");
        sb.AppendLine("|---|---|---:|---|---:|---:|---:|---:|---:|---:|");
        foreach (var g in rows.GroupBy(r => (r.Model, r.ArrayMode, r.AdcBits, r.Training)))
        {
            string Cell(string a) =>
                g.Any(r => r.Adc == a)
                ? $"{P(g.Where(r => r.Adc == a).Average(r => r.Mean))} " +
                $"/ {P(g.Where(r => r.Adc == a).Min(r => r.Worst))}" : "–";
            var approx = g.Where(r => r.Adc == "approximate").ToList();
            var worstCorner = approx.Count > 0 ? approx.MinBy(r => r.WorstCorner)! : null;
            string corner =
                worstCorner is null ? "–"
                : $"{P(worstCorner.WorstCorner)}{(worstCorner.WorstCornerName is { } n ? $" ({n})" : "")}";
            string spread = approx.Count > 1 ? P(approx.Max(r => r.Mean) - approx.Min(r => r.Mean)) : "–";
            sb.AppendLine(
                $"| {g.Key.Model} | {g.Key.ArrayMode} | {g.Key.AdcBits} | {g.Key.Training} | {g.First().Chips} " +
                $"| {Cell("ideal")} | {Cell("calibrated")} | {Cell("approximate")} | {corner} | {spread} |");
        }
        // The fair comparison, seed by seed: the network fine-tuned on the approximate ADCs against the same
        // fine-tuning on the ideal ADC.
        var fair = rows.Where(r => r.Training == "aware" && r.Adc == "approximate").ToList();
        if (fair.Count > 0)
        {
            sb.AppendLine();
            sb.AppendLine(
                "Per seed: approximate + aware against ideal + aware (the same fine-tuning on the ideal ADC), " +
                "accuracy %, gap in points:");
            sb.AppendLine();
            sb.AppendLine(
                "| model | array | ADC bits | seed | ideal + aware mean | approximate + aware mean | gap | worst " +
                "chip | worst corner | float-trained on approximate |");
            sb.AppendLine("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|");
            foreach (var a in fair)
            {
                var ideal = rows.SingleOrDefault(r => r.Model == a.Model && r.ArrayMode == a.ArrayMode
                    && r.AdcBits == a.AdcBits && r.Seed == a.Seed && r.Training == "aware-ideal");
                var fl = rows.SingleOrDefault(r => r.Model == a.Model && r.ArrayMode == a.ArrayMode
                    && r.AdcBits == a.AdcBits && r.Seed == a.Seed && r.Training == "float" && r.Adc == "approximate");
                sb.AppendLine(
                    $"| {a.Model} | {a.ArrayMode} | {a.AdcBits} | {a.Seed} " +
                    $"| {(ideal is null ? "–" : P(ideal.Mean))} " +
                    $"| {P(a.Mean)} | {(ideal is null ? "–" : P(a.Mean - ideal.Mean))} | " +
                    $"{P(a.Worst)} | {P(a.WorstCorner)}{(a.WorstCornerName is { } n ? $" ({n})" : "")} " +
                    $"| {(fl is null ? "–" : P(fl.Mean))} |");
            }
        }
        if (study.Count > 0)
        {
            sb.AppendLine();
            sb.AppendLine("Variation levels seen in training (approximate ADCs, accuracy per global corner, %):");
            sb.AppendLine();
            int corners = study.Max(s => s.Corners.Count);
            var names = study.MaxBy(s => s.Corners.Count)!.Corners.Select(c => c.Label).ToList();
            sb.AppendLine("| model | array | ADC bits | trained on | mean | worst corner | "
                + string.Join(" | ", names.Select(n => $"corner {n}")) + " |");
            sb.AppendLine("|---|---|---:|---|---:|---:|" + string.Concat(Enumerable.Repeat("---:|", corners)));
            foreach (var s in study)
                sb.AppendLine(
                    $"| {s.Model} | {s.ArrayMode} | {s.AdcBits} | {s.TrainedOn} | {P(s.Mean)} | {P(s.WorstCorner)} | "
                    + string.Join(" | ", s.Corners.Select(c => P(c.Mean))) + " |");
        }
        if (budgets.Count > 0)
        {
            sb.AppendLine();
            sb.AppendLine(
                $"Lowest ADC resolution within {BudgetPoints} points of the float-trained network on the ideal ADC " +
                "at the highest resolution (mean over chips, approximate uncalibrated ADCs):");
            sb.AppendLine();
            sb.AppendLine("| model | array | reference | float-trained | peripheral-aware |");
            sb.AppendLine("|---|---|---:|---:|---:|");
            foreach (var b in budgets)
                sb.AppendLine(
                    $"| {b.Model} | {b.ArrayMode} | {P(b.Reference)} " +
                    $"| {(b.FloatTrainedBits is int f ? $"{f} bits" : "none")} " +
                    $"| {(b.AwareBits is int a ? $"{a} bits" : "none")} |");
        }
        return sb.ToString();
    }

    public static string Machine()
    {
        string cpu = "unknown CPU";
        try
        {
            cpu = File.ReadLines("/proc/cpuinfo")
                .FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal))?.Split(':', 2)[1].Trim()
                ?? cpu;
        }
        catch (IOException) { }
        long memGiB = GC.GetGCMemoryInfo().TotalAvailableMemoryBytes >> 30;
        return $"{Environment.ProcessorCount} cores ({cpu}), {memGiB} GiB " +
            $"RAM, {System.Runtime.InteropServices.RuntimeInformation.OSDescription}, .NET {Environment.Version}, " +
            "TorchSharp CPU";
    }
}
