using System.ComponentModel;
using ImcSharp.Config;
using ImcSharp.Data;
using ImcSharp.Experiments;
using Spectre.Console;
using Spectre.Console.Cli;

namespace ImcSharp.Cli.Commands;

public sealed class ApproxAdcSettings : ImcSettings
{
    public override IEnumerable<FileUse?> Files() =>
        new[] { FileUse.In(Config, "--config"), FileUse.Out(Json, "--json") };

    [CommandOption("--config <PATH>")]
    [Description("Experiment spec (JSON).")]
    [DefaultValue("experiments/approx-adc.json")]
    public string Config { get; init; } = "experiments/approx-adc.json";

    [CommandOption("--quick")]
    [Description("Run the spec's quick subset (approx-adc.json: LeNet-5, the realistic designs, 7-bit, 20 chips, " +
        "three seeds).")]
    public bool Quick { get; init; }

    [CommandOption("--out <DIR>")]
    [Description("Checkpoints, per-chip results (resumable), plots, results.md (results-quick.md with --quick); " +
        "default runs/<spec name>, shared by quick and full runs.")]
    public string? Out { get; init; }

    [CommandOption("--data <DIR>")]
    [Description("Fashion-MNIST directory (default: /usr/share/datasets/fashion-mnist).")]
    public string? Data { get; init; }

    [CommandOption("--json <PATH>")]
    [Description("Write the results (rows, variation study, resolution budget) as JSON to PATH.")]
    public string? Json { get; init; }

    [CommandOption("--yes")]
    [Description("Start a run whose chip evaluations are estimated to take over an hour (the plan line says how " +
        "long, from a chip of each model timed before the run; finished work in --out is reused, so a resumed run " +
        "takes less).")]
    public bool Yes { get; init; }
}

/// <summary>`imc experiment approx-adc`: the headline experiment, table, plots and JSON.</summary>
public sealed class ApproxAdcCommand : Command<ApproxAdcSettings>
{
    public override int Execute(CommandContext context, ApproxAdcSettings s, CancellationToken cancellationToken)
    {
        CliErrors.InterruptedHint =
            "interrupted; finished networks, training steps and chips are saved: rerun the same command to continue";
        var spec = ApproxAdcSpec.Load(s.Config);
        // Quick and full runs share one directory, so the full run reuses the quick run's work.
        var outDir = s.Out ?? Path.Combine("runs", spec.Name);
        var stem = s.Quick ? "results-quick" : "results";
        var command = $"./imc experiment approx-adc --config {s.Config}{(s.Quick ? " --quick" : "")}" +
            $"{(s.Out is null ? "" : $" --out {s.Out}")}{(s.Yes ? " --yes" : "")}";
        var planned = s.Quick ? spec.QuickSubset() : spec;
        // Each cell: a model on an array mode at a resolution, float and aware, over its chips (test_images 0: the
        // whole test set).
        var cells = planned.Models.Sum(m => planned.ArrayModes.Count * planned.AdcBits.Count
            * (long)(m.Chips ?? planned.Chips) * Math.Max(1, planned.Seeds.Count));
        var images = string.Join(", ", planned.Models.Select(m => m.TestImages == 0 ? "all" : m.TestImages.ToString()));
        AnsiConsole.MarkupLine(Markup.Escape(
            $"plan: {planned.Models.Count} model(s) x {planned.ArrayModes.Count} array mode(s) x " +
            $"{planned.AdcBits.Count} resolution(s) x {Math.Max(1, planned.Seeds.Count)} seed(s): {cells:N0} chip " +
            $"evaluations per row (float and aware; test images per model: {images})"));
        Estimate(planned, s);
        var result = Run(spec, s.Quick, outDir, s.Data, cancellationToken, s.Device);
        var md = Report(result, command, outDir);
        IO.AtomicFile.WriteAllText(Path.Combine(outDir, stem + ".md"), md);
        IO.Json.WriteFile(Path.Combine(outDir, stem + ".json"), result);
        if (s.Json is not null) IO.Json.WriteFile(s.Json, result);
        AnsiConsole.WriteLine(result.Table);
        AnsiConsole.MarkupLine(
            $"wrote [bold]{Markup.Escape(Path.Combine(outDir, stem + ".md"))}[/] and {result.Plots.Count} plot files " +
            $"in {result.Seconds / 60:F1} min");
        return 0;
    }

    /// <summary>
    /// The plan's time: every chip evaluation of the run, timed per model on a chip of the first
    /// array mode at the top resolution (training comes on top; finished work is reused, so a
    /// resumed run takes less); refused past an hour without --yes.
    /// </summary>
    static void Estimate(ApproxAdcSpec run, ApproxAdcSettings s)
    {
        using var train = DatasetCatalog.Load(run.Dataset, s.Data, Split.Train);
        using var testAll = DatasetCatalog.Load(run.Dataset, s.Data, Split.Test);
        var total = TimeSpan.Zero;
        long evaluations = 0;
        var design = HardwareConfig.Load(run.ArrayModes[0].Hardware);
        design = design with { Adc = design.Adc.WithBits(run.AdcBits.Max()) };
        foreach (var m in run.Models)
        {
            using var test = testAll.Take(m.TestImages > 0 ? Math.Min(m.TestImages, testAll.Count) : testAll.Count);
            if (WorkPlan.ProbeUntrained(m.Model, train, test, design) is not { } chip) return;
            long count = run.ChipEvaluations(m);
            total += chip.For(count, test.Count);
            evaluations += count;
        }
        AnsiConsole.MarkupLine(
            Markup.Escape(
            $"plan: {evaluations:N0} chip evaluations in all: about {WorkPlan.Show(total)}, training on top (a chip " +
            $"of each model timed here on {run.ArrayModes[0].Name})"));
        WorkPlan.Confirm(total, s.Yes, $"{evaluations:N0} chip evaluations",
            "run --quick, or give fewer chips or test_images in the spec");
    }

    public static ApproxAdcResult Run(ApproxAdcSpec spec, bool quick, string outDir, string? data,
        CancellationToken cancel, string device = "cpu") =>
        ConsoleProgress.Run(p => ApproxAdcExperiment.Run(spec, quick, outDir, data, p,
            ConsoleProgress.Log, cancel, device), hideCompleted: true);

    /// <summary>
    /// results.md: the table, the plots, the command that regenerates them, the machine and the run time.
    /// </summary>
    public static string Report(ApproxAdcResult r, string command, string outDir)
    {
        var sb = new System.Text.StringBuilder();
        sb.AppendLine($"# {r.Name}{(r.Quick ? " (quick subset)" : "")}: {r.Dataset}");
        sb.AppendLine();
        sb.AppendLine(
            $"Regenerate: `{command}` (cached checkpoints and per-chip results in `{outDir}` are reused; delete it " +
            "for a cold run).");
        sb.AppendLine();
        sb.AppendLine($"Machine: {r.Machine}. Run time: {r.Seconds / 60:F1} min.");
        sb.AppendLine();
        sb.AppendLine(
            "Accuracy (%) over Monte Carlo chips; worst = worst chip; worst corner = mean of the worst global corner.");
        sb.AppendLine();
        sb.Append(r.Table);
        sb.AppendLine();
        foreach (var p in r.Plots.Where(p => p.EndsWith(".png", StringComparison.Ordinal)))
        {
            var relative = Path.GetRelativePath(Path.GetFullPath(outDir), Path.GetFullPath(p)).Replace('\\', '/');
            sb.AppendLine($"![{Path.GetFileNameWithoutExtension(p)}]({relative})");
        }
        return sb.ToString();
    }
}
