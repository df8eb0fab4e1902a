using System.ComponentModel;
using ImcSharp.Sweeps;
using Spectre.Console;
using Spectre.Console.Cli;

namespace ImcSharp.Cli.Commands;

public class SweepSettings : CommandSettings
{
    [CommandArgument(0, "<SPEC>")]
    [Description("Sweep spec (JSON), e.g. experiments/sweep-lenet5.json.")]
    public string Spec { get; init; } = "";

    [CommandOption("--out <DIR>")]
    [Description("Results directory (default runs/<spec name>): points*.jsonl, per-point chips, checkpoints, sweep.md, Pareto plots.")]
    public string? Out { get; init; }

    [CommandOption("--json <PATH>")]
    [Description("Write the finished points as a JSON array to PATH.")]
    public string? Json { get; init; }
}

public sealed class SweepRunSettings : SweepSettings
{
    [CommandOption("--shard <I/N>")]
    [Description("Run only points k with k mod N = I (e.g. a Slurm array task: --shard $SLURM_ARRAY_TASK_ID/$SLURM_ARRAY_TASK_COUNT); join with `imc sweep merge`.")]
    public string? Shard { get; init; }

    [CommandOption("--data <DIR>")]
    [Description("Dataset directory (default for fashion-mnist: /usr/share/datasets/fashion-mnist).")]
    public string? Data { get; init; }
}

/// <summary>`imc sweep SPEC`: run (a shard of) the design points; resumable; table and Pareto plots when whole.</summary>
public sealed class SweepCommand : Command<SweepRunSettings>
{
    public override int Execute(CommandContext context, SweepRunSettings s, CancellationToken cancellationToken)
    {
        var spec = SweepSpec.Load(s.Spec);
        var outDir = s.Out ?? Path.Combine("runs", spec.Name);
        var shard = s.Shard is null ? Shard.All : Shard.Parse(s.Shard);
        var results = ConsoleProgress.Run(p => SweepRunner.Run(spec, outDir, shard, s.Data, p,
            line => AnsiConsole.MarkupLine($"[grey]{DateTime.Now:HH:mm:ss}[/] {Markup.Escape(line)}"), cancellationToken), hideCompleted: true);
        if (shard.Count == 1) SweepMergeCommand.Finish(spec, results, outDir, s.Json);
        else
        {
            AnsiConsole.MarkupLine($"shard {shard.Index}/{shard.Count}: {results.Count} points in {Markup.Escape(Path.Combine(outDir, shard.FileName))}; join the shards with [bold]imc sweep merge {Markup.Escape(s.Spec)}[/]");
            if (s.Json is not null) IO.Json.WriteFile(s.Json, results);
        }
        return 0;
    }
}

/// <summary>`imc sweep merge SPEC`: joins the shards' files, reports missing points, writes the table and Pareto plots.</summary>
public sealed class SweepMergeCommand : Command<SweepSettings>
{
    public override int Execute(CommandContext context, SweepSettings s, CancellationToken cancellationToken)
    {
        var spec = SweepSpec.Load(s.Spec);
        var outDir = s.Out ?? Path.Combine("runs", spec.Name);
        var (results, missing) = SweepRunner.Merge(spec, outDir);
        if (results.Count == 0) throw new ImcInputException($"{outDir}: no finished points to merge (run `imc sweep {s.Spec}` first)");
        if (missing.Count > 0)
            AnsiConsole.MarkupLine($"[yellow]{missing.Count} of {results.Count + missing.Count} points not finished yet[/]: {Markup.Escape(string.Join(", ", missing.Take(8)))}{(missing.Count > 8 ? ", ..." : "")}");
        Finish(spec, results, outDir, s.Json);
        return 0;
    }

    public static void Finish(SweepSpec spec, List<SweepResult> results, string outDir, string? json)
    {
        var (_, plots) = SweepRunner.Report(spec, results, outDir);
        var t = new Table().Title($"[bold]{Markup.Escape(spec.Name)}[/]: {results.Count} points")
            .AddColumn("point").AddColumn("mean").AddColumn("worst").AddColumn("energy nJ").AddColumn("area mm2").AddColumn("ADC energy share");
        foreach (var r in results.OrderBy(r => r.EnergyPerInferenceJ))
            t.AddRow(r.Id, Tables.Pct(r.Mean), Tables.Pct(r.Worst), (r.EnergyPerInferenceJ * 1e9).ToString("F2"), r.AreaMm2.ToString("F4"), Tables.Pct(r.AdcEnergyShare));
        AnsiConsole.Write(t);
        foreach (var f in plots) AnsiConsole.MarkupLine($"wrote {Markup.Escape(f)}");
        AnsiConsole.MarkupLine($"wrote {Markup.Escape(Path.Combine(outDir, "sweep.md"))}");
        if (json is not null) IO.Json.WriteFile(json, results);
    }
}
