using System.ComponentModel;
using ImcSharp.Reporting;
using Spectre.Console;
using Spectre.Console.Cli;

namespace ImcSharp.Cli.Commands;

public sealed class PlotSettings : ImcSettings
{
    public override bool RunsNetworks => false;

    public override IEnumerable<FileUse?> Files() => base.Files().Concat(new[]
    {
        FileUse.In(Series, "SERIES"), FileUse.Out(Stem + ".png", "--out"), FileUse.Out(Stem + ".svg", "--out"),
    });

    [CommandArgument(0, "<SERIES>")]
    [Description("Accuracy curves as JSON: {title, x_label, x_ticks: [{x, label}], series: [{label, x, mean, " +
        "worst}]} (accuracies 0..1), as scripts/drift-time.py and scripts/ir-drop-rows.py write them.")]
    public string Series { get; init; } = "";

    [CommandOption("--out <STEM>")]
    [Description("Where the plot goes: STEM.png and STEM.svg (default: SERIES without .json).")]
    public string? OutStem { get; init; }

    /// <summary>The plot's path without extension.</summary>
    public string Stem => OutStem ?? Path.ChangeExtension(Series, null);
}

/// <summary>`imc plot`: accuracy curves (chip mean and worst chip) from a series file, as PNG and SVG.</summary>
public sealed class PlotCommand : Command<PlotSettings>
{
    public override int Execute(CommandContext context, PlotSettings s, CancellationToken cancellationToken)
    {
        var series = AccuracySeries.Load(s.Series);
        foreach (var file in series.Draw(s.Stem)) AnsiConsole.MarkupLine($"wrote {Markup.Escape(file)}");
        return 0;
    }
}
