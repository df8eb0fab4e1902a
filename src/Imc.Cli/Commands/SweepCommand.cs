using System.ComponentModel;
using ImcSharp.Config;
using ImcSharp.Converters;
using ImcSharp.Data;
using ImcSharp.Sweeps;
using Spectre.Console;
using Spectre.Console.Cli;

namespace ImcSharp.Cli.Commands;

public sealed class SweepSettings : ImcSettings
{
    public override IEnumerable<FileUse?> Files() =>
        new[] { FileUse.In(Spec == "merge" ? MergeSpec : Spec, "SPEC"), FileUse.Out(Json, "--json") };

    [CommandArgument(0, "<SPEC|merge>")]
    [Description("Sweep spec (JSON), e.g. experiments/sweep-lenet5.json; or `merge` followed by the spec to join the " +
        "shards' results.")]
    public string Spec { get; init; } = "";

    [CommandArgument(1, "[SPEC]")]
    [Description("With merge: the sweep spec.")]
    public string? MergeSpec { get; init; }

    [CommandOption("--out <DIR>")]
    [Description("Results directory (default runs/<spec name>): points*.jsonl, per-point chips, checkpoints, " +
        "sweep.md, Pareto plots.")]
    public string? Out { get; init; }

    [CommandOption("--shard <I/N>")]
    [Description("Run only points k with k mod N = I (e.g. a Slurm array task: --shard " +
        "$SLURM_ARRAY_TASK_ID/$SLURM_ARRAY_TASK_COUNT); join with `imc sweep merge SPEC`.")]
    public string? Shard { get; init; }

    [CommandOption("--partial")]
    [Description("merge: join what is finished and exit 0 even when points are missing (they are listed in sweep.md " +
        "and the JSON either way; without --partial a merge with missing points exits 2).")]
    public bool Partial { get; init; }

    [CommandOption("--data <DIR>")]
    [Description("Dataset directory (default for fashion-mnist: /usr/share/datasets/fashion-mnist).")]
    public string? Data { get; init; }

    [CommandOption("--json <PATH>")]
    [Description("Write the finished points as a JSON array to PATH.")]
    public string? Json { get; init; }

    [CommandOption("--yes")]
    [Description("Start a sweep whose chip evaluations are estimated to take over an hour (the plan line says how " +
        "long, from a chip of the first unfinished point timed before the run).")]
    public bool Yes { get; init; }
}

/// <summary>
/// `imc sweep SPEC`: run (a shard of) the design points, resumable, with the table and Pareto
/// plots when the run covers every point; `imc sweep merge SPEC`: join the shards' results.
/// </summary>
public sealed class SweepCommand : Command<SweepSettings>
{
    public override int Execute(CommandContext context, SweepSettings s, CancellationToken cancellationToken)
    {
        if (s.Spec == "merge")
        {
            if (s.MergeSpec is null) throw new ImcInputException("imc sweep merge SPEC: the sweep spec is missing");
            if (s.Shard is not null) throw new ImcInputException(
                "--shard does not apply to merge: it joins every shard");
            return Merge(SweepSpec.Load(s.MergeSpec), s.MergeSpec, s.Out, s.Json, s.Partial, s.Data);
        }
        if (s.MergeSpec is not null) throw new ImcInputException(
            $"unexpected argument '{s.MergeSpec}': expected `imc sweep SPEC` or `imc sweep merge SPEC`");
        if (s.Partial) throw new ImcInputException("--partial applies to `imc sweep merge`");
        CliErrors.InterruptedHint =
            "interrupted; finished points and chips are saved: rerun the same command to continue";
        var shard = s.Shard is null ? Shard.All : Shard.Parse(s.Shard);
        var spec = SweepSpec.Load(s.Spec);
        var outDir = s.Out ?? Path.Combine("runs", spec.Name);
        int points = spec.Points().Count, mine = spec.Points().Where((_, k) => k % shard.Count == shard.Index).Count();
        AnsiConsole.MarkupLine(
            Markup.Escape(
            $"plan: {mine} of {points} points x {spec.Chips} chips " +
            $"x {(spec.TestImages == 0 ? "all" : spec.TestImages.ToString())} test " +
            $"images ({string.Join(", ", spec.Training)} training per point)"));
        Estimate(spec, shard, outDir, s);
        var results = ConsoleProgress.Run(p => SweepRunner.Run(spec, outDir, shard, s.Data, p,
            ConsoleProgress.Log, cancellationToken, s.Device), hideCompleted: true);
        if (shard.Count == 1) Finish(spec, results, outDir, s.Json);
        else
        {
            AnsiConsole.MarkupLine(
                $"shard {shard.Index}/{shard.Count}: {results.Count} points " +
                $"in {Markup.Escape(Path.Combine(outDir, shard.FileName))}; join the shards with [bold]imc sweep " +
                $"merge {Markup.Escape(s.Spec)}[/]");
            if (s.Json is not null) IO.Json.WriteFile(s.Json, results);
        }
        return 0;
    }

    /// <summary>
    /// The plan's time: the unfinished points' chips, timed on a chip of the first one (training
    /// comes on top); refused past an hour without --yes.
    /// </summary>
    static void Estimate(SweepSpec spec, Shard shard, string outDir, SweepSettings s)
    {
        var done = SweepRunner.Read(Path.Combine(outDir, shard.FileName)).Select(r => r.Id).ToHashSet();
        var left = spec.Points().Where((p, k) => shard.Owns(k) && !done.Contains(p.Id)).ToList();
        if (left.Count == 0) return;
        using var train = DatasetCatalog.Load(spec.Dataset, s.Data, Split.Train);
        using var testAll = DatasetCatalog.Load(spec.Dataset, s.Data, Split.Test);
        using var test = testAll.Take(spec.TestImages > 0 ? Math.Min(spec.TestImages, testAll.Count) : testAll.Count);
        var first = left[0];
        var hw = SweepRunner.Hardware(HardwareConfig.Load(spec.Hardware),
            AdcConfigFile.Load(spec.Adcs[first.Adc]).Config, first);
        if (WorkPlan.ProbeUntrained(spec.Model, train, test, hw) is not { } chip) return;
        var estimate = chip.For((long)left.Count * spec.Chips, test.Count);
        AnsiConsole.MarkupLine(
            Markup.Escape(
            $"plan: {left.Count} unfinished points' chips: about {WorkPlan.Show(estimate)}, training on top (a chip " +
            $"of {first.Id} timed here on {Math.Min(test.Count, WorkPlan.ProbeImages)} images)"));
        WorkPlan.Confirm(estimate, s.Yes,
            $"{left.Count} point{(left.Count == 1 ? "" : "s")} x {spec.Chips} chips x {test.Count} images",
            "give fewer chips or test_images in the spec, or a --shard");
    }

    static int Merge(SweepSpec spec, string specPath, string? outOption, string? json, bool partial, string? data)
    {
        var outDir = outOption ?? Path.Combine("runs", spec.Name);
        var (results, missing) = SweepRunner.Merge(spec, outDir);
        if (results.Count == 0) throw new ImcInputException(
            $"{outDir}: no finished points to merge (run `imc sweep {specPath}` first)");
        // The report prices every point with today's cost model (the files keep what each point ran with).
        using (var train = DatasetCatalog.Load(spec.Dataset, data, Split.Train))
        {
            var designs = new PointDesigns(spec, train);
            results = results.Select(r => SweepRunner.Repriced(r, designs)).ToList();
        }
        Finish(spec, results, outDir, null, missing);
        if (json is not null) IO.Json.WriteFile(json, new SweepMerge(results, missing, missing.Count == 0));
        if (missing.Count > 0)
        {
            var which = $"{string.Join(", ", missing.Take(8))}{(missing.Count > 8 ? ", ..." : "")}";
            if (!partial)
                throw new ImcInputException(
                    $"{outDir}: {missing.Count} of {results.Count + missing.Count} points not finished ({which}): " +
                    "run their shards, or merge with --partial (sweep.md lists them)");
            AnsiConsole.MarkupLine(
                $"[yellow]{missing.Count} of {results.Count + missing.Count} points not finished " +
                $"yet[/]: {Markup.Escape(which)}");
        }
        return 0;
    }

    static void Finish(SweepSpec spec, List<SweepResult> results, string outDir, string? json,
        IReadOnlyList<string>? missing = null)
    {
        var (_, plots) = SweepRunner.Report(spec, results, outDir, missing);
        var t = new Table().Title($"[bold]{Markup.Escape(spec.Name)}[/]: {results.Count} points")
            .AddColumn("point").AddColumn("mean").AddColumn("worst").AddColumn("energy nJ").AddColumn("area mm2")
                .AddColumn("ADC energy share");
        foreach (var r in results.OrderBy(r => r.EnergyPerInferenceJ))
            t.AddRow(r.Id, Tables.Pct(r.Mean), Tables.Pct(r.Worst), (r.EnergyPerInferenceJ * 1e9).ToString("F2"),
                r.AreaMm2.ToString("F4"), Tables.Pct(r.AdcEnergyShare));
        AnsiConsole.Write(t);
        foreach (var f in plots) AnsiConsole.MarkupLine($"wrote {Markup.Escape(f)}");
        AnsiConsole.MarkupLine($"wrote {Markup.Escape(Path.Combine(outDir, "sweep.md"))}");
        if (json is not null) IO.Json.WriteFile(json, results);
    }
}

/// <summary>
/// JSON result of `imc sweep merge`: the finished points, the ids of those still missing, and whether none is.
/// </summary>
public sealed record SweepMerge(List<SweepResult> Points, List<string> Missing, bool Complete);

