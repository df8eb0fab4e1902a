using System.ComponentModel;
using System.Diagnostics;
using ImcSharp.Data;
using ImcSharp.Evaluation;
using ImcSharp.Training;
using Spectre.Console;
using Spectre.Console.Cli;

namespace ImcSharp.Cli.Commands;

public sealed class EvalSettings : DataSettings
{
    public override IEnumerable<FileUse?> Files() => base.Files().Concat(new[]
    {
        FileUse.In(Checkpoint, "--checkpoint"), FileUse.In(Hardware, "--hw"), FileUse.Out(Results, "--results"),
    }).Concat(MergeFiles().Select(f => FileUse.In(f, "--merge")));

    IReadOnlyList<string>? _mergeFiles;

    /// <summary>
    /// The files --merge names: a comma-separated list, each a path or a pattern with * or ? in its file name
    /// (e.g. runs/mc/block-*.jsonl, sorted); a pattern that matches nothing is an error. Listed once.
    /// </summary>
    public IReadOnlyList<string> MergeFiles() => _mergeFiles ??= ListMergeFiles();

    IReadOnlyList<string> ListMergeFiles()
    {
        if (Merge is null) return Array.Empty<string>();
        var files = new List<string>();
        foreach (var item in Merge.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var name = Path.GetFileName(item);
            if (name.IndexOfAny(new[] { '*', '?' }) < 0) { files.Add(item); continue; }
            var dir = Path.GetDirectoryName(item) is { Length: > 0 } d ? d : ".";
            var found = Directory.Exists(dir) ? Directory.GetFiles(dir, name).Order(StringComparer.Ordinal).ToArray()
                : Array.Empty<string>();
            if (found.Length == 0) throw new ImcInputException($"--merge {item}: no file matches");
            files.AddRange(found);
        }
        return files;
    }

    [CommandOption("--checkpoint <PATH>")]
    [Description("Checkpoint written by `imc train`.")]
    public string Checkpoint { get; init; } = "";

    [CommandOption("--hw <CONFIG>")]
    [Description("Hardware config (JSON, e.g. configs/puma-reference.json): evaluate on programmed IMC chips.")]
    public string? Hardware { get; init; }

    [CommandOption("--chips <K>")]
    [Description("With --hw: number of chips to program and evaluate.")]
    [DefaultValue(1)]
    public int Chips { get; init; } = 1;

    [CommandOption("--first-chip <N>")]
    [Description("With --hw: index (seed) of the first chip; chips are N, N+1, ...")]
    [DefaultValue(0L)]
    public long FirstChip { get; init; }

    [CommandOption("--corners <G>")]
    [Description("With --hw: global corners; chip k is drawn in corner k mod G and each corner is reported on its " +
        "own.")]
    [DefaultValue(5)]
    public int Corners { get; init; } = 5;

    [CommandOption("--yes")]
    [Description("Start a hardware evaluation estimated to take over an hour (the plan line says how long, from one " +
        "chip timed before the run).")]
    public bool Yes { get; init; }

    [CommandOption("--results <JSONL>")]
    [Description("With --hw: append each finished chip here; a rerun with the same file skips finished chips " +
        "(resume).")]
    public string? Results { get; init; }

    [CommandOption("--merge <FILES>")]
    [Description("With --results: first join the chips of these results files of the same Monte Carlo (other " +
        "--first-chip blocks, e.g. one per job-array task; comma-separated, * and ? in file names) into the results " +
        "file, then evaluate the chips still missing.")]
    public string? Merge { get; init; }

    [CommandOption("--plot <DIR>")]
    [Description("With --hw: write the per-chip accuracy histogram (PNG and SVG) into DIR.")]
    public string? Plot { get; init; }

    [CommandOption("--time <LIST>")]
    [Description("With --hw: read the chips at these times after programming (cell drift, cell.drift_nu), one " +
        "evaluation per time on the same chips: e.g. 1s,1h,1d,1mo,1y,10y (s, min, h, d, mo, y; a plain number is s).")]
    public string? Time { get; init; }

    [CommandOption("--calibration-images <N>")]
    [Description("With --hw: training images used to set each layer's input range.")]
    [DefaultValue(1000)]
    public int CalibrationImages { get; init; } = 1000;
}

/// <summary>JSON result of `imc eval`.</summary>
public sealed record EvalReport(string Model, string Dataset, int Epochs, long Seed, double TestAccuracy,
    double TestLoss,
    long Samples, double Seconds, string Checkpoint);

/// <summary>JSON result of `imc eval --hw`: test_accuracy is the mean over chips.</summary>
public sealed record HardwareEvalReport(string Model, string Dataset, int Epochs, long Seed, double TestAccuracy,
    long Samples,
    double Seconds, string Checkpoint, string Hardware, string HardwareConfig, int Chips, double? FloatAccuracy,
        double? QuantizedAccuracy,
    AccuracyStats Accuracy, List<ChipResult> PerChip, List<CornerStats> Corners, double WorstCorner, List<string> Plots,
        string? WorstCornerName = null,
    [property: System.Text.Json.Serialization.JsonIgnore(
        Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)]
    List<TimePoint>? Times = null);

/// <summary>One read time of `imc eval --time`: the same chips read that long after programming.</summary>
public sealed record TimePoint(string Time, double Seconds, AccuracyStats Accuracy, double WorstCorner,
    string? WorstCornerName);

public sealed class EvalCommand : Command<EvalSettings>
{
    public override int Execute(CommandContext context, EvalSettings s, CancellationToken cancellationToken)
    {
        if (string.IsNullOrEmpty(s.Checkpoint)) throw new ImcInputException("--checkpoint PATH is required");
        CliErrors.InterruptedHint =
            s.Results is null ? "interrupted (give --results FILE to keep finished chips)"
            : $"interrupted; finished chips are in {s.Results}: rerun the same command to continue";
        if (s.TestLimit < 0) throw new ImcInputException(
            $"--test-limit {s.TestLimit}: expected an integer >= 0 (0 = all)");
        if (s.Hardware is not null)
        {
            var hw = RunHardware(s);
            Tables.HardwareEvaluation(hw);
            if (s.Json is not null) IO.Json.WriteFile(s.Json, hw);
            return 0;
        }
        var report = Run(s.Checkpoint, DatasetCatalog.Canonical(s.Dataset), s.Data, s.TestLimit, s.Device);
        Tables.Evaluation(report);
        if (s.Json is not null) IO.Json.WriteFile(s.Json, report);
        return 0;
    }

    public static HardwareEvalReport RunHardware(EvalSettings s)
    {
        var mc = new MonteCarloOptions
        {
            Chips = s.Chips, Corners = s.Corners, FirstChip = s.FirstChip, ResultsPath = s.Results, Device = s.Device,
            MergeFrom = s.MergeFiles(),
        };
        mc.Validate();
        if (s.Corners < 1) throw new ImcInputException($"--corners {s.Corners}: expected an integer >= 1");
        if (s.CalibrationImages < 1) throw new ImcInputException(
            $"--calibration-images {s.CalibrationImages}: expected an integer >= 1");
        var sw = Stopwatch.StartNew();
        var config = Config.HardwareConfig.Load(s.Hardware!);
        var times = s.Time is null ? null : ReadTimes.Parse(s.Time);
        if (times is not null && s.Results is not null)
            throw new ImcInputException(
                "--time with --results: one results file holds one read time; drop one of them");
        // A design with named corners (or a population's) has exactly those: chips cycle through them.
        mc = mc with { CornerNames = Converters.AdcFactory.CornerNames(config.Adc),
            Key = ChipEvaluation.KeyFor(s.Checkpoint, config, s.CalibrationImages) };
        var dataset = DatasetCatalog.Canonical(s.Dataset);
        var (info, model) = Checkpoint.Load(s.Checkpoint, device: ComputeTarget.Parse(s.Device));
        using (model)
        {
            var shape = InputShape(info);
            using var test = TrainCommand.Load(dataset, s.Data, Split.Test, s.TestLimit, shape);
            CheckShape(s.Checkpoint, info, test, dataset);
            ChipEvaluation.Deploy(model, info, config,
                () => TrainCommand.Load(dataset, s.Data, Split.Train, s.CalibrationImages, shape));
            using var compensation = Nn.ChipCompensation.Prepare(model, config,
                n => TrainCommand.Load(dataset, s.Data, Split.Train, n, shape), info.Normalization);
            var estimate = WorkPlan.Probe(model, test, info.Normalization, s.FirstChip).For(s.Chips, test.Count)
                * (times?.Count ?? 1);
            AnsiConsole.MarkupLine(
                Markup.Escape(
                $"plan: {s.Chips} chips x {test.Count} images{(times is null ? "" : $" x {times.Count} read times")} " +
                $"on {config.Name}: about {WorkPlan.Show(estimate)} " +
                $"(from one chip and {Math.Min(test.Count, WorkPlan.ProbeImages)} images timed here)"));
            WorkPlan.Confirm(estimate, s.Yes, $"--chips {s.Chips} x {test.Count} images",
                "give fewer --chips or a --test-limit");
            // Ranges are set once, at programming: every read time reuses the design's calibration.
            var calibration = Nn.AnalogConversion.Calibrations(model);
            void Retarget(Config.HardwareConfig hw)
            {
                Nn.AnalogConversion.Convert(model, hw);
                Nn.AnalogConversion.Apply(model, calibration);
            }
            var series = new List<TimePoint>();
            foreach (var (label, seconds) in times ?? new List<(string, double)>())
            {
                // The same chips read later: the drift draws do not depend on the read time.
                var aged = config with { Cell = config.Cell with { ReadTime = seconds } };
                Retarget(aged);
                AnsiConsole.MarkupLine(Markup.Escape($"read {label} after programming"));
                var at = ConsoleProgress.Run(p => ChipEvaluation.Run(model, test, info.Normalization,
                    mc with { Key = ChipEvaluation.KeyFor(s.Checkpoint, aged, s.CalibrationImages) }, p,
                    compensation: compensation));
                series.Add(new TimePoint(label, seconds, at.Accuracy, at.WorstCorner, at.WorstCornerName));
            }
            if (times is not null) Retarget(config);
            var r = ConsoleProgress.Run(p => ChipEvaluation.Run(model, test, info.Normalization, mc, p,
                compensation: compensation));
            var plots = s.Plot is null ? new List<string>()
                : Reporting.ChipPlots.Histogram(Path.Combine(s.Plot, "chips"),
                $"{info.Spec.Name} on {config.Name}: {s.Chips} chips",
                new[] { ("chips", (IReadOnlyList<double>)r.PerChip.Select(c => c.Accuracy).ToList()) },
                new[] { ("quantized (ideal core)", r.QuantizedAccuracy!.Value) });
            if (s.Plot is not null && series.Count > 0)
                plots.AddRange(Reporting.ChipPlots.Lines(Path.Combine(s.Plot, "time"),
                    $"{info.Spec.Name} on {config.Name}: {s.Chips} chips read over time",
                    "time after programming (log scale)",
                    new[] { ("chips", series.Select(p => Math.Log10(p.Seconds)).ToArray(),
                        series.Select(p => p.Accuracy.Mean).ToArray(),
                            series.Select(p => p.Accuracy.Min).ToArray()) },
                    xTicks: series.Select(p => (Math.Log10(p.Seconds), p.Time)).ToList()));
            return new HardwareEvalReport(info.Spec.Name, dataset, info.EpochsDone, info.Options.Seed, r.Accuracy.Mean,
                test.Count,
                sw.Elapsed.TotalSeconds, s.Checkpoint, config.Name, s.Hardware!, s.Chips, r.FloatAccuracy,
                    r.QuantizedAccuracy, r.Accuracy, r.PerChip,
                r.Corners, r.WorstCorner, plots, r.WorstCornerName, times is null ? null : series);
        }
    }

    /// <summary>The model's input (C, H, W): an image folder is resized to it.</summary>
    static (int, int, int) InputShape(CheckpointInfo info) => (info.Spec.InChannels, info.Spec.Height, info.Spec.Width);

    static void CheckShape(string checkpoint, CheckpointInfo info, ImageSet test, string dataset)
    {
        if (test.Classes != info.Spec.Classes)
            throw new ImcInputException(
                $"{checkpoint}: model has {info.Spec.Classes} classes but {test.Name} has {test.Classes}: expected " +
                "the same classes");
        if (test.Channels != info.Spec.InChannels || test.Height != info.Spec.Height || test.Width != info.Spec.Width)
            throw new ImcInputException(
                $"{checkpoint}: model expects {info.Spec.InChannels}x{info.Spec.Height}x{info.Spec.Width} inputs " +
                $"but {dataset} has {test.Channels}x{test.Height}x{test.Width}");
    }

    public static EvalReport Run(string checkpoint, string dataset, string? dataDir, int testLimit,
        string device = "cpu")
    {
        var sw = Stopwatch.StartNew();
        var (info, model) = Checkpoint.Load(checkpoint, device: ComputeTarget.Parse(device));
        using (model)
        {
            using var test = TrainCommand.Load(dataset, dataDir, Split.Test, testLimit, InputShape(info));
            CheckShape(checkpoint, info, test, dataset);
            var r = ConsoleProgress.Run(p =>
                Evaluator.Evaluate(model, test, info.Normalization, progress: p, phase: "test"));
            return new EvalReport(info.Spec.Name, dataset, info.EpochsDone, info.Options.Seed, r.Accuracy, r.Loss,
                r.Samples,
                sw.Elapsed.TotalSeconds, checkpoint);
        }
    }
}
