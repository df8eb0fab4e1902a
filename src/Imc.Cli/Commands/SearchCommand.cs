using System.ComponentModel;
using ImcSharp.Sweeps;
using Spectre.Console;
using Spectre.Console.Cli;

namespace ImcSharp.Cli.Commands;

public sealed class SearchSettings : ImcSettings
{
    public override IEnumerable<FileUse?> Files() =>
        new[] { FileUse.In(Spec == "merge" ? MergeSpec : Spec, "SPEC"), FileUse.Out(Json, "--json") };

    [CommandArgument(0, "<SPEC|merge>")]
    [Description("Search spec (JSON): a sweep's design space with a target and a cost, e.g. " +
        "experiments/search-lenet5.json; or `merge` followed by the spec to join the shards' measurements.")]
    public string Spec { get; init; } = "";

    [CommandArgument(1, "[SPEC]")]
    [Description("With merge: the search spec.")]
    public string? MergeSpec { get; init; }

    [CommandOption("--out <DIR>")]
    [Description("Results directory (default runs/<spec name>): search*.jsonl (every measurement, resumable), " +
        "chosen.json (the chosen design as a hardware config), search.md, search.png/svg, checkpoints, chips.")]
    public string? Out { get; init; }

    [CommandOption("--shard <I/N>")]
    [Description("Search only the points k of the cost order with k mod N = I (a Slurm array task: --shard " +
        "$SLURM_ARRAY_TASK_ID/$SLURM_ARRAY_TASK_COUNT); join with `imc search merge SPEC`.")]
    public string? Shard { get; init; }

    [CommandOption("--grid")]
    [Description("Also measure every point in full and say whether the full grid chooses the same design (for " +
        "checking the search on a space small enough to grid).")]
    public bool Grid { get; init; }

    [CommandOption("--data <DIR>")]
    [Description("Dataset directory (default for fashion-mnist: /usr/share/datasets/fashion-mnist).")]
    public string? Data { get; init; }

    [CommandOption("--json <PATH>")]
    [Description("Write the report (chosen design, every candidate's status and measurements, counts, times) as " +
        "JSON to PATH.")]
    public string? Json { get; init; }
}

/// <summary>
/// `imc search SPEC`: the cheapest design of a space that holds an accuracy target, found cheap-first with early
/// rejection on few chips and images (<see cref="DesignSearch"/>); `imc search merge SPEC` joins shards. Exits 3 when
/// no design in the space holds the target.
/// </summary>
public sealed class SearchCommand : Command<SearchSettings>
{
    public const int NoDesignHoldsTheTarget = 3;

    public override int Execute(CommandContext context, SearchSettings s, CancellationToken cancellationToken)
    {
        bool merge = s.Spec == "merge";
        if (merge && s.MergeSpec is null)
            throw new ImcInputException("imc search merge SPEC: the search spec is missing");
        if (merge && (s.Shard is not null || s.Grid)) throw new ImcInputException(
            "--shard and --grid do not apply to merge: it joins what the shards measured");
        if (!merge && s.MergeSpec is not null) throw new ImcInputException(
            $"unexpected argument '{s.MergeSpec}': expected `imc search SPEC` or `imc search merge SPEC`");
        var specPath = merge ? s.MergeSpec! : s.Spec;
        var spec = SearchSpec.Load(specPath);
        var outDir = s.Out ?? Path.Combine("runs", spec.Name);
        var shard = s.Shard is null ? Shard.All : Shard.Parse(s.Shard);
        SearchReport report;
        if (merge) report = SearchRunner.Merge(spec, outDir, s.Data);
        else
        {
            CliErrors.InterruptedHint =
                "interrupted; finished measurements and chips are saved: rerun the same command to continue";
            AnsiConsole.MarkupLine(Markup.Escape(
                $"plan: {spec.Points().Count} points; each screened on {spec.Screen.TestImages} images, the " +
                $"survivors measured on {spec.Chips} chips x {(spec.TestImages == 0 ? "all" : spec.TestImages)} " +
                $"test images, cheapest first{(s.Grid ? "; then every point in full (--grid)" : "")}"));
            report = ConsoleProgress.Run(p => SearchRunner.Run(spec, outDir, shard, s.Data, s.Grid, p,
                ConsoleProgress.Log, cancellationToken, s.Device), hideCompleted: true);
        }
        Show(report, outDir, shard);
        if (s.Json is not null) IO.Json.WriteFile(s.Json, report);
        if (report.Missing.Count > 0) return 2;
        return report.Chosen is null ? NoDesignHoldsTheTarget : 0;
    }

    static void Show(SearchReport r, string outDir, Shard shard)
    {
        var t = new Table().Title(Markup.Escape(
                $"{r.Name}: target {r.Target.Accuracy * 100:F2}% on the {r.Target.On}, minimising {r.Minimise}"))
            .AddColumn("point").AddColumn("cost").AddColumn("screen").AddColumn("full").AddColumn("status");
        foreach (var row in r.Candidates.Where(c => c.Steps.Count > 0))
        {
            string At(string rung) => row.Steps.FirstOrDefault(x => x.Rung == rung) is { } x ? Tables.Pct(x.Metric)
                : "";
            t.AddRow(Markup.Escape(row.Id), row.Cost.ToString("G4"), At("screen"), At("full"),
                Markup.Escape(row.Status));
        }
        AnsiConsole.Write(t);
        var scope = shard.Count == 1 ? "" : $" (shard {shard.Index}/{shard.Count}: join with imc search merge)";
        AnsiConsole.MarkupLine(Markup.Escape(
            $"measured {r.Evaluated} of {r.GridPoints} points " +
            $"({string.Join(", ", r.Measurements.Select(kv => $"{kv.Value} at {kv.Key}"))}) in " +
            $"{r.SearchSeconds:F0} s{scope}"));
        if (r.Grid is { } g)
            AnsiConsole.MarkupLine(Markup.Escape(
                $"full grid: {g.Evaluated} points in {g.Seconds:F0} s, chooses {g.Chosen ?? "none"}: " +
                (g.SameAnswer ? "the same answer" : "a different answer")));
        if (r.Missing.Count > 0)
            AnsiConsole.MarkupLine($"[yellow]{r.Missing.Count} points not yet measured by their shards[/]: " +
                Markup.Escape(string.Join(", ", r.Missing.Take(8))));
        else if (r.Chosen is { } c)
            AnsiConsole.MarkupLine(Markup.Escape(
                $"chosen: {c.Id} ({Tables.Pct(c.Metric)} on the {r.Target.On}, {c.EnergyPerInferenceJ * 1e9:F3} nJ, " +
                $"{c.AreaMm2:F4} mm2): {c.Config}, network {c.Network}"));
        else AnsiConsole.MarkupLine("[red]no design in the space holds the target[/]");
        AnsiConsole.MarkupLine($"wrote {Markup.Escape(Path.Combine(outDir, "search.md"))}");
    }
}
