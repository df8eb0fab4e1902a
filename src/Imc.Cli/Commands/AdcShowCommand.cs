using System.ComponentModel;
using ImcSharp.Converters;
using ImcSharp.Reporting;
using Spectre.Console;
using Spectre.Console.Cli;

namespace ImcSharp.Cli.Commands;

/// <summary>Where `imc adc` commands put plots and statistics.</summary>
public class AdcOutputSettings : ImcSettings
{
    public override bool RunsNetworks => false;

    public override IEnumerable<FileUse?> Files() => base.Files().Append(FileUse.Out(Json, "--json"));

    [CommandOption("--out <DIR>")]
    [Description("Directory for the plots (default runs/adc/<name>).")]
    public string? Out { get; init; }

    [CommandOption("--format <FMT>")]
    [Description("png, svg or both (default).")]
    [DefaultValue("both")]
    public string Format { get; init; } = "both";

    [CommandOption("--json <PATH>")]
    [Description("Write the statistics as JSON to PATH.")]
    public string? Json { get; init; }
}

public sealed class AdcShowSettings : AdcOutputSettings
{
    public override IEnumerable<FileUse?> Files() =>
        base.Files().Concat(new[] { FileUse.In(Config, "CONFIG"), FileUse.Out(SavePopulation, "--save-population") });

    [CommandArgument(0, "<CONFIG>")]
    [Description("ADC config (e.g. configs/adc/sar.json), or a hardware config whose adc is shown.")]
    public string Config { get; init; } = "";

    [CommandOption("--chips <N>")]
    [Description("Chips (global draws) in the population.")]
    [DefaultValue(4)]
    public int Chips { get; init; } = 4;

    [CommandOption("--per-chip <N>")]
    [Description("ADC instances per chip (local draws).")]
    [DefaultValue(64)]
    public int PerChip { get; init; } = 64;

    [CommandOption("--seed <N>")]
    [DefaultValue(1L)]
    public long Seed { get; init; } = 1;

    [CommandOption("--save-population <PATH>")]
    [Description("Also write the drawn population as a population file (a synthetic export with the config's " +
        "corners), usable by adc.kind population.")]
    public string? SavePopulation { get; init; }

}

/// <summary>`imc adc show`: a population of an ADC config, its linearity table and plots.</summary>
public sealed class AdcShowCommand : Command<AdcShowSettings>
{
    public override int Execute(CommandContext context, AdcShowSettings s, CancellationToken cancellationToken)
    {
        if (s.Chips < 1) throw new ImcInputException($"--chips {s.Chips}: expected an integer >= 1");
        if (s.PerChip < 1) throw new ImcInputException($"--per-chip {s.PerChip}: expected an integer >= 1");
        var (png, svg) = Formats(s.Format);
        var (name, cfg) = AdcConfigFile.Load(s.Config);
        using var scope = TorchSharp.torch.NewDisposeScope();
        // A loaded population belongs to the factory's cache; only a drawn one is ours to dispose.
        using var drawn =
            cfg.Kind == Converters.PopulationArchitecture.Name ? null
            : AdcPopulation.Generate(cfg, s.Chips, s.PerChip, s.Seed);
        var pop = drawn ?? AdcFactory.LoadPopulation(cfg.Params<Config.PopulationFiles>().File!);
        var lin = Characterization.Measure(pop);
        var report = AdcReport.Of(name, cfg.Kind, pop, lin,
            cfg.Calibration == Config.CalibrationKind.None ? null : Calibration.Cost(cfg.Calibration, cfg.Bits));
        var files = AdcPlots.Write(s.Out ?? Path.Combine("runs", "adc", name), name, pop, lin, png, svg);
        if (s.SavePopulation is { } save)
        {
            PopulationFile.Save(save, pop, Path.GetFullPath(s.Config));
            files.Insert(0, save);
        }
        Print(report, files);
        if (s.Json is not null) IO.Json.WriteFile(s.Json, report);
        return 0;
    }

    internal static (bool Png, bool Svg) Formats(string f) => f.ToLowerInvariant() switch
    {
        "png" => (true, false),
        "svg" => (false, true),
        "both" => (true, true),
        _ => throw new ImcInputException($"--format '{f}': expected png, svg or both"),
    };

    internal static void Print(AdcReport r, IEnumerable<string> files)
    {
        var t = new Table()
            .Title($"[bold]{Markup.Escape(r.Name)}[/]: {r.Kind}, {r.Bits} bits, {r.Instances} instances, {r.Corners} " +
            "corner(s)/chip(s)")
            .AddColumn("metric").AddColumn("mean").AddColumn("sigma").AddColumn("min").AddColumn("max");
        void Row(string n, MetricStats m, string f = "F3") =>
            t.AddRow(n, m.Mean.ToString(f), m.Sigma.ToString(f), m.Min.ToString(f), m.Max.ToString(f));
        Row("max |INL| end-point (LSB)", r.InlMaxAbsPerInstance);
        Row("max |DNL| (LSB)", r.DnlMaxAbsPerInstance);
        Row("offset error (LSB)", r.OffsetErrorLsb);
        Row("gain error (relative)", r.GainError, "F4");
        Row("ENOB (bits, sine)", r.Enob, "F2");
        AnsiConsole.Write(t);
        AnsiConsole.MarkupLine(
            $"worst INL {r.InlMaxAbsLsb:F3} LSB (best-fit {r.InlBestFitMaxAbsLsb:F3}), worst DNL {r.DnlMaxAbsLsb:F3} " +
            $"LSB, missing codes {r.MissingCodes}");
        foreach (var f in files) AnsiConsole.MarkupLine($"  wrote {Markup.Escape(f)}");
    }
}
