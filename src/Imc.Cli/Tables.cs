using ImcSharp.Cli.Commands;
using ImcSharp.Evaluation;
using Spectre.Console;

namespace ImcSharp.Cli;

/// <summary>Summary tables printed at the end of a command.</summary>
public static class Tables
{
    public static void Training(TrainReport r)
    {
        var t = new Table().Title($"[bold]{r.Model} on {r.Dataset}[/] (seed {r.Seed})")
            .AddColumn("epoch").AddColumn("train loss").AddColumn("train acc").AddColumn("test acc")
                .AddColumn("seconds");
        foreach (var e in r.History)
            t.AddRow(e.Epoch.ToString(), e.TrainLoss.ToString("F4"), Pct(e.TrainAccuracy),
                Pct(e.TestAccuracy) + (e.WorstCorner is { } c ? $" (worst corner {Markup.Escape(c)})" : ""),
                e.Seconds.ToString("F1"));
        AnsiConsole.Write(t);
        AnsiConsole.MarkupLine(
            $"test accuracy [bold]{Pct(r.TestAccuracy)}[/], {r.ImagesPerSecond:F0} training images/s, " +
            $"checkpoint {Markup.Escape(r.Checkpoint)}{(r.Resumed ? " (resumed)" : "")}");
    }

    public static void Evaluation(EvalReport r)
    {
        var t = new Table().Title($"[bold]evaluation[/]")
            .AddColumn("model").AddColumn("dataset").AddColumn("samples").AddColumn("test loss")
                .AddColumn("test accuracy").AddColumn("seconds");
        t.AddRow(r.Model, r.Dataset, r.Samples.ToString(), r.TestLoss.ToString("F4"), Pct(r.TestAccuracy),
            r.Seconds.ToString("F1"));
        AnsiConsole.Write(t);
    }

    public static void HardwareEvaluation(HardwareEvalReport r)
    {
        var t = new Table()
            .Title($"[bold]{r.Model} on {r.Dataset}, hardware {Markup.Escape(r.Hardware)}[/] ({r.Chips} chips)")
            .AddColumn("float").AddColumn("quantized").AddColumn("chip mean").AddColumn("std").AddColumn("worst")
                .AddColumn("p5").AddColumn("best").AddColumn("seconds");
        var a = r.Accuracy;
        t.AddRow(Pct(r.FloatAccuracy ?? double.NaN), Pct(r.QuantizedAccuracy ?? double.NaN), Pct(a.Mean),
            $"{a.Std * 100:F2}", Pct(a.Min), Pct(a.P5), Pct(a.Max), r.Seconds.ToString("F1"));
        AnsiConsole.Write(t);
        var c = new Table().Title("[bold]global corners[/]").AddColumn("corner").AddColumn("chips").AddColumn("mean")
            .AddColumn("worst");
        foreach (var k in r.Corners) c.AddRow(Markup.Escape(k.Label), k.Chips.ToString(), Pct(k.Mean), Pct(k.Min));
        AnsiConsole.Write(c);
        AnsiConsole.MarkupLine(
            $"worst corner ({Markup.Escape(r.WorstCornerName ?? "")}) mean [bold]{Pct(r.WorstCorner)}[/]");
        if (r.Times is { Count: > 0 } times)
        {
            var d = new Table().Title("[bold]read after programming[/]").AddColumn("time").AddColumn("chip mean")
                .AddColumn("worst").AddColumn("worst corner");
            foreach (var p in times)
                d.AddRow(Markup.Escape(p.Time), Pct(p.Accuracy.Mean), Pct(p.Accuracy.Min), Pct(p.WorstCorner));
            AnsiConsole.Write(d);
        }
        foreach (var f in r.Plots) AnsiConsole.MarkupLine($"wrote {Markup.Escape(f)}");
    }

    public static string Pct(double x) => $"{x * 100:F2}%";
}
