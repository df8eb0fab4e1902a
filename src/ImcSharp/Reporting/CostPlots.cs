using ImcSharp.Cost;
using ScottPlot;

namespace ImcSharp.Reporting;

/// <summary>Energy breakdown as stacked bars (one bar per layer and one for the network), and Pareto fronts.</summary>
public static class CostPlots
{
    static readonly (string Name, Func<EnergyBreakdown, double> Get)[] Components =
    {
        ("arrays", e => e.Arrays), ("drivers/DACs", e => e.Drivers), ("ADCs", e => e.Adc),
            ("calibration", e => e.Calibration),
        ("shift-and-add", e => e.ShiftAdd), ("accumulation", e => e.Accumulation), ("buffers", e => e.Buffers),
            ("digital layers", e => e.DigitalLayers), ("digital ops", e => e.DigitalOps),
    };

    public static List<string> EnergyBreakdown(string stem, NetworkCost cost, bool png = true, bool svg = true)
    {
        var plot = new Plot();
        var palette = new ScottPlot.Palettes.Category10();
        var groups =
            cost.Layers.Select(l => (Name: l.Name, Energy: l.Energy)).Append((Name: "network", Energy: cost.Energy))
            .ToList();
        for (int c = 0; c < Components.Length; c++)
        {
            var bars = new List<Bar>();
            for (int g = 0; g < groups.Count; g++)
            {
                double below = Components.Take(c).Sum(x => x.Get(groups[g].Energy)) * 1e9;
                double value = Components[c].Get(groups[g].Energy) * 1e9;
                bars.Add(new Bar { Position = g, ValueBase = below, Value = below + value,
                    FillColor = palette.GetColor(c) });
            }
            var bp = plot.Add.Bars(bars);
            bp.LegendText = Components[c].Name;
            bp.Color = palette.GetColor(c);
        }
        plot.Axes.Bottom.SetTicks(Enumerable.Range(0, groups.Count).Select(i => (double)i).ToArray(),
            groups.Select(g => g.Name).ToArray());
        plot.Title($"{cost.Model} on {cost.Hardware}: energy per inference (ADCs {cost.AdcEnergyShare * 100:F1}% of " +
            "core)");
        plot.YLabel("energy (nJ)");
        plot.ShowLegend(Alignment.UpperLeft);
        plot.Axes.Margins(bottom: 0);
        return PlotFiles.Save(plot, stem, png, svg);
    }

    /// <summary>
    /// Accuracy against a cost axis; the Pareto-optimal points (no other point both cheaper and more accurate) are
    /// joined.
    /// </summary>
    public static List<string> Pareto(string stem, string title, string xLabel,
        IReadOnlyList<(string Label, double Cost, double Accuracy, string Group)> points, bool png = true,
        bool svg = true, string yLabel = "test accuracy (%)", double? target = null)
    {
        var plot = new Plot();
        var palette = new ScottPlot.Palettes.Category10();
        var groups = points.Select(p => p.Group).Distinct().ToList();
        for (int g = 0; g < groups.Count; g++)
        {
            var pts = points.Where(p => p.Group == groups[g]).ToList();
            var sc = plot.Add.ScatterPoints(pts.Select(p => p.Cost).ToArray(),
                pts.Select(p => p.Accuracy * 100).ToArray());
            sc.LegendText = groups[g];
            sc.Color = palette.GetColor(g);
            sc.MarkerSize = 8;
        }
        var front = Front(points.Select(p => (p.Cost, p.Accuracy)).ToList());
        var line = plot.Add.Scatter(front.Select(p => p.Cost).ToArray(), front.Select(p => p.Accuracy * 100).ToArray());
        line.ConnectStyle = ConnectStyle.StepHorizontal;
        line.Color = Colors.Black;
        line.MarkerSize = 0;
        line.LegendText = "Pareto front";
        if (target is { } t)
        {
            var goal = plot.Add.HorizontalLine(t * 100);
            goal.Color = Colors.Red;
            goal.LinePattern = LinePattern.Dashed;
            goal.LegendText = $"target {t * 100:F1}%";
        }
        plot.Axes.Bottom.Label.Text = xLabel;
        plot.YLabel(yLabel);
        plot.Title(title);
        plot.ShowLegend(Alignment.LowerRight);
        // Fit every point (ScottPlot's auto-scale skips some scatter series).
        var ys = points.Select(p => p.Accuracy * 100)
            .Concat(target is { } goalY ? new[] { goalY * 100 } : []).ToArray();
        var xs = points.Select(p => p.Cost).ToArray();
        double dx = Math.Max(1e-12, xs.Max() - xs.Min()) * 0.05, dy = Math.Max(0.5, ys.Max() - ys.Min()) * 0.05;
        plot.Axes.SetLimits(xs.Min() - dx, xs.Max() + dx, ys.Min() - dy, ys.Max() + dy);
        return PlotFiles.Save(plot, stem, png, svg);
    }

    /// <summary>Points not dominated by a cheaper-or-equal, more-or-equally accurate point, by cost.</summary>
    public static List<(double Cost, double Accuracy)> Front(IReadOnlyList<(double Cost, double Accuracy)> points)
    {
        var front = new List<(double, double)>();
        double best = double.NegativeInfinity;
        foreach (var p in points.OrderBy(p => p.Cost).ThenByDescending(p => p.Accuracy))
            if (p.Accuracy > best) { front.Add(p); best = p.Accuracy; }
        return front;
    }

    /// <summary>
    /// Where each calibrated model sits against the survey: Walden FOM (fJ per conversion step, log10) and Schreier
    /// FOM (dB) against the sample rate (log10 Hz), the converters by kind and each kind's model at 28 nm, 0.9 V, 6 and
    /// 8 bits (ENOB = N), with the survey's envelope (<see cref="AdcCostModel.WaldenFomEnvelope"/>,
    /// <see cref="AdcCostModel.SchreierFomEnvelope"/>).
    /// </summary>
    public static List<string> SurveyFigures(string dir, IReadOnlyList<SurveyAdc> survey, bool png = true,
        bool svg = true)
    {
        var files = new List<string>();
        foreach (var (name, title, yLabel, fom, envelope) in new (string, string, string, Func<double, double, double,
            double>, double)[]
        {
            ("adc-survey-walden", "Walden FOM vs sample rate: survey converters and the calibrated models",
                "log10 Walden FOM (fJ/conv-step)", (e, bits, _) => Math.Log10(e / Math.Pow(2, bits) * 1e15),
                Math.Log10(AdcCostModel.WaldenFomEnvelope * 1e15)),
            ("adc-survey-schreier", "Schreier FOM vs sample rate: survey converters and the calibrated models",
                "Schreier FOM (dB)", (e, bits, _) => 6.02 * bits + 1.76 + 10 * Math.Log10(1 / (2 * e)),
                AdcCostModel.SchreierFomEnvelope),
        })
        {
            var plot = new Plot();
            var palette = new ScottPlot.Palettes.Category10();
            var kinds = AdcSurvey.PricedAs.Keys.ToList();
            for (int k = 0; k < kinds.Count; k++)
            {
                var mine = survey.Where(a => a.Kind == kinds[k]).ToList();
                var sc = plot.Add.ScatterPoints(mine.Select(a => Math.Log10(a.SampleRate)).ToArray(),
                    mine.Select(a => fom(a.EnergyPerConversion, a.Enob, a.SampleRate)).ToArray());
                sc.LegendText = $"survey: {kinds[k]}";
                sc.Color = palette.GetColor(k);
                sc.MarkerSize = 7;
                foreach (int bits in new[] { 6, 8 })
                {
                    var rates = Enumerable.Range(0, 41).Select(i => Math.Pow(10, 6 + 0.125 * i)).ToArray();
                    var adc = new Config.AdcConfig { Kind = AdcSurvey.PricedAs[kinds[k]], Bits = bits };
                    var line = plot.Add.Scatter(rates.Select(Math.Log10).ToArray(),
                        rates.Select(f => fom(AdcCostModel.Energy(adc, f, 28, 0.9), bits, f)).ToArray());
                    line.Color = palette.GetColor(k);
                    line.MarkerSize = 0;
                    line.LinePattern = bits == 6 ? LinePattern.Solid : LinePattern.Dashed;
                    line.LegendText = $"model: {kinds[k]}, {bits} b, 28 nm";
                }
            }
            var env = plot.Add.HorizontalLine(envelope);
            env.Color = Colors.Black;
            env.LinePattern = LinePattern.Dotted;
            env.LegendText = "survey envelope";
            plot.Axes.Bottom.Label.Text = "log10 sample rate (Hz)";
            plot.YLabel(yLabel);
            plot.Title(title);
            plot.ShowLegend(Alignment.UpperLeft);
            files.AddRange(PlotFiles.Save(plot, Path.Combine(dir, name), png, svg));
        }
        return files;
    }
}
