using ImcSharp.Converters;
using ScottPlot;
using TorchSharp;
using static TorchSharp.torch;

namespace ImcSharp.Reporting;

/// <summary>Transfer curves, INL and DNL of an ADC population, written as PNG and/or SVG.</summary>
public static class AdcPlots
{
    /// <summary>
    /// Writes transfer.{png,svg}, inl.{png,svg}, dnl.{png,svg} into <paramref name="dir"/>; returns the files.
    /// </summary>
    public static List<string> Write(string dir, string title, AdcPopulation pop, Linearity lin, bool png = true,
        bool svg = true, int maxCurves = 64)
    {
        Directory.CreateDirectory(dir);
        int shown = Math.Min(maxCurves, pop.Instances);
        var files = new List<string>();
        long m = pop.Thresholds.size(1);
        var codes = Enumerable.Range(1, (int)m).Select(k => (double)k).ToArray();

        var transfer = new Plot();
        var sorted = pop.Sorted();
        for (int i = 0; i < shown; i++)
        {
            var t = sorted[i].data<double>().ToArray();
            var xs = new List<double>(); var ys = new List<double>();
            // Codes produced at the lowest input (-inf) start the curve at the first finite transition; unreached codes
            // (+inf) end it.
            for (int k = 0; k < t.Length && !double.IsPositiveInfinity(t[k]); k++)
                if (double.IsFinite(t[k])) { xs.Add(t[k]); ys.Add(k + 1); }
            if (xs.Count == 0) continue;
            var s = transfer.Add.Scatter(xs.ToArray(), ys.ToArray());
            s.ConnectStyle = ConnectStyle.StepHorizontal;
            s.MarkerSize = 0;
            s.LineWidth = 1;
            s.Color = Colors.Blue.WithAlpha(0.25);
        }
        var ideal = transfer.Add.Scatter(AdcModels.Ideal(pop.Bits).data<double>().ToArray(), codes);
        ideal.ConnectStyle = ConnectStyle.StepHorizontal;
        ideal.MarkerSize = 0;
        ideal.Color = Colors.Black;
        ideal.LineWidth = 2;
        ideal.LegendText = "ideal";
        transfer.Title($"{title}: transfer curves ({shown} of {pop.Instances} instances)");
        transfer.XLabel("input (nominal LSB)");
        transfer.YLabel("output code");
        files.AddRange(Save(transfer, Path.Combine(dir, "transfer"), png, svg));

        files.AddRange(Save(PerCode(lin.InlEndPoint, shown, 1, $"{title}: INL (end-point)", "INL (LSB)"),
            Path.Combine(dir, "inl"), png, svg));
        files.AddRange(Save(PerCode(lin.Dnl, shown, 0, $"{title}: DNL", "DNL (LSB)"), Path.Combine(dir, "dnl"), png,
            svg));
        return files;
    }

    static Plot PerCode(Tensor values, int shown, int firstCode, string title, string ylabel)
    {
        var plot = new Plot();
        for (int i = 0; i < shown; i++)
        {
            var v = values[i].data<double>().ToArray();
            var s = plot.Add.Scatter(Enumerable.Range(firstCode, v.Length).Select(k => (double)k).ToArray(), v);
            s.MarkerSize = 0;
            s.LineWidth = 1;
            s.Color = Colors.Blue.WithAlpha(0.3);
        }
        plot.Title(title);
        plot.XLabel("code");
        plot.YLabel(ylabel);
        return plot;
    }

    static List<string> Save(Plot plot, string stem, bool png, bool svg) => PlotFiles.Save(plot, stem, png, svg);
}
