using ScottPlot;

namespace ImcSharp.Reporting;

/// <summary>Plots of Monte Carlo chip results, written as PNG and/or SVG.</summary>
public static class ChipPlots
{
    /// <summary>
    /// Histogram of per-chip accuracies (percent), one colour per series (e.g. float-trained vs
    /// peripheral-aware), with a dashed line at each reference accuracy (e.g. the ideal ADC).
    /// </summary>
    public static List<string> Histogram(string pathWithoutExtension, string title,
        IReadOnlyList<(string Label, IReadOnlyList<double> Accuracies)> series,
        IReadOnlyList<(string Label, double Accuracy)>? references = null, bool png = true, bool svg = true)
    {
        var plot = new Plot();
        var all = series.SelectMany(s => s.Accuracies).Concat(references?.Select(r => r.Accuracy)
            ?? Array.Empty<double>()).Select(a => a * 100).ToArray();
        double lo = Math.Floor(all.Min() * 4) / 4 - 0.25, hi = Math.Ceiling(all.Max() * 4) / 4 + 0.25;
        double width = Math.Max(0.05, (hi - lo) / 40);
        var palette = new ScottPlot.Palettes.Category10();
        for (int i = 0; i < series.Count; i++)
        {
            var (label, accs) = series[i];
            int bins = (int)Math.Ceiling((hi - lo) / width);
            var counts = new double[bins];
            foreach (var a in accs) counts[Math.Clamp((int)((a * 100 - lo) / width), 0, bins - 1)]++;
            var bars = Enumerable.Range(0, bins).Where(b => counts[b] > 0)
                .Select(b =>
                    new Bar { Position = lo + (b + 0.5) * width, Value = counts[b], Size = width * 0.9,
                    FillColor = palette.GetColor(i).WithAlpha(0.6) }).ToList();
            var bp = plot.Add.Bars(bars);
            bp.LegendText = $"{label} (n = {accs.Count})";
            bp.Color = palette.GetColor(i).WithAlpha(0.6);
        }
        foreach (var (label, acc) in references ?? Array.Empty<(string, double)>())
        {
            var line = plot.Add.VerticalLine(acc * 100);
            line.LinePattern = LinePattern.Dashed;
            line.Color = Colors.Black;
            line.LegendText = $"{label} {acc * 100:F2}%";
        }
        plot.Title(title);
        plot.XLabel("test accuracy (%)");
        plot.YLabel("chips");
        plot.ShowLegend(Alignment.UpperLeft);
        plot.Axes.Margins(bottom: 0);
        return Save(plot, pathWithoutExtension, png, svg);
    }

    /// <summary>
    /// Accuracy against a swept quantity (e.g. ADC bits), one line per series, with optional error bars (worst case as
    /// a second marker).
    /// </summary>
    public static List<string> Lines(string pathWithoutExtension, string title, string xLabel,
        IReadOnlyList<(string Label, double[] X, double[] Mean, double[] Worst)> series, bool png = true,
            bool svg = true, IReadOnlyList<(double X, string Label)>? xTicks = null)
    {
        var plot = new Plot();
        var palette = new ScottPlot.Palettes.Category10();
        for (int i = 0; i < series.Count; i++)
        {
            var (label, x, mean, worst) = series[i];
            var m = plot.Add.Scatter(x, mean.Select(v => v * 100).ToArray());
            m.LegendText = label + " (mean)";
            m.Color = palette.GetColor(i);
            m.LineWidth = 2;
            m.MarkerSize = 7;
            var w = plot.Add.Scatter(x, worst.Select(v => v * 100).ToArray());
            w.LegendText = label + " (worst chip)";
            w.Color = palette.GetColor(i);
            w.LinePattern = LinePattern.Dotted;
            w.MarkerShape = MarkerShape.OpenCircle;
            w.MarkerSize = 6;
        }
        plot.Title(title);
        plot.XLabel(xLabel);
        plot.YLabel("test accuracy (%)");
        if (xTicks is not null)
            plot.Axes.Bottom.SetTicks(xTicks.Select(t => t.X).ToArray(), xTicks.Select(t => t.Label).ToArray());
        // Beside the axes: inside, a falling curve's last points sit where any corner's legend would.
        plot.ShowLegend(Edge.Right);
        return Save(plot, pathWithoutExtension, png, svg);
    }

    static List<string> Save(Plot plot, string stem, bool png, bool svg) => PlotFiles.Save(plot, stem, png, svg);
}

/// <summary>Writes a plot as PNG and/or SVG (900x600), each written to a temporary file and renamed.</summary>
public static class PlotFiles
{
    public static List<string> Save(Plot plot, string stem, bool png, bool svg)
    {
        var files = new List<string>();
        if (png) files.Add(Write(stem + ".png", tmp => plot.SavePng(tmp, 900, 600)));
        if (svg) files.Add(Write(stem + ".svg", tmp => plot.SaveSvg(tmp, 900, 600)));
        return files;
    }

    static string Write(string path, Action<string> save)
    {
        var full = Path.GetFullPath(path);
        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        var tmp = full + $".tmp-{Environment.ProcessId}" + Path.GetExtension(full);
        try
        {
            save(tmp);
            File.Move(tmp, full, overwrite: true);
        }
        finally
        {
            if (File.Exists(tmp)) File.Delete(tmp);
        }
        return path;
    }
}
