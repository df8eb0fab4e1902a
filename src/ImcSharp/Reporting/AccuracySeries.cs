using ImcSharp.IO;

namespace ImcSharp.Reporting;

/// <summary>One curve of an accuracy plot: chip mean and worst chip (fractions, 0..1) at each x.</summary>
public sealed record AccuracyCurve
{
    /// <summary>The legend's name for the curve.</summary>
    public string Label { get; init; } = "";
    /// <summary>Positions on the x axis.</summary>
    public List<double> X { get; init; } = new();
    /// <summary>Mean accuracy over chips at each x (0..1).</summary>
    public List<double> Mean { get; init; } = new();
    /// <summary>Worst chip's accuracy at each x (0..1).</summary>
    public List<double> Worst { get; init; } = new();
}

/// <summary>A tick on the x axis: its position and its label.</summary>
public sealed record AxisTick(double X, string Label);

/// <summary>
/// The input of `imc plot`: accuracy curves against one x axis, as scripts write them (drift over time, IR drop
/// against rows), drawn by <see cref="ChipPlots.Lines"/>.
/// </summary>
public sealed record AccuracySeries
{
    /// <summary>The plot's title.</summary>
    public string Title { get; init; } = "";
    /// <summary>The x axis' label.</summary>
    public string XLabel { get; init; } = "";
    /// <summary>Named ticks on the x axis (e.g. 1h at log10(3600)); empty: numbers.</summary>
    public List<AxisTick> XTicks { get; init; } = new();
    /// <summary>The curves.</summary>
    public List<AccuracyCurve> Series { get; init; } = new();

    /// <summary>Reads and checks a series file; one error naming the file and the field.</summary>
    public static AccuracySeries Load(string path)
    {
        var s = Json.ReadFile<AccuracySeries>(path, Json.Strict, "series file");
        if (s.Series.Count == 0) throw new ImcInputException($"{path}: series: expected at least one curve");
        for (int i = 0; i < s.Series.Count; i++)
        {
            var c = s.Series[i];
            string at = $"{path}: series[{i}]";
            if (c.X.Count == 0) throw new ImcInputException($"{at}.x: expected at least one point");
            if (c.Mean.Count != c.X.Count || c.Worst.Count != c.X.Count)
                throw new ImcInputException(
                    $"{at}: x has {c.X.Count} points, mean {c.Mean.Count} and worst {c.Worst.Count}: expected as many");
            foreach (var (name, values) in new[] { ("mean", c.Mean), ("worst", c.Worst) })
            {
                var bad = values.Where(v => !(v >= 0 && v <= 1)).ToList();
                if (bad.Count > 0)
                    throw new ImcInputException($"{at}.{name}: {bad[0]}: expected an accuracy between 0 and 1");
            }
            if (c.X.Any(v => !double.IsFinite(v))) throw new ImcInputException($"{at}.x: expected finite numbers");
        }
        return s;
    }

    /// <summary>Draws the curves as PNG and SVG at <paramref name="stem"/>; the files written.</summary>
    public List<string> Draw(string stem) =>
        ChipPlots.Lines(stem, Title, XLabel,
            Series.Select(c => (c.Label, c.X.ToArray(), c.Mean.ToArray(), c.Worst.ToArray())).ToList(),
            xTicks: XTicks.Count == 0 ? null : XTicks.Select(t => (t.X, t.Label)).ToList());
}
