using ImcSharp.Reporting;

namespace ImcSharp.Tests.Reporting;

/// <summary>`imc plot`'s series files: read as written, drawn with their named ticks.</summary>
public class AccuracySeriesTests
{
    [Fact]
    public void ASeriesFileIsReadAndDrawnWithItsTickLabels()
    {
        var dir = Synthetic.TempDir();
        var path = Path.Combine(dir, "drift.json");
        File.WriteAllText(path, """
            { "title": "lenet5 read over time", "x_label": "time after programming",
              "x_ticks": [ { "x": 0, "label": "1s" }, { "x": 3.5563, "label": "1h" } ],
              "series": [ { "label": "uncompensated", "x": [0, 3.5563], "mean": [0.89, 0.87], "worst": [0.88, 0.85] },
                          { "label": "drift scale", "x": [0, 3.5563], "mean": [0.89, 0.89], "worst": [0.885, 0.88] } ] }
            """);
        var series = AccuracySeries.Load(path);
        Assert.Equal(2, series.Series.Count);
        Assert.Equal(new[] { 0.88, 0.85 }, series.Series[0].Worst);
        var files = series.Draw(Path.Combine(dir, "drift"));
        Assert.Equal(2, files.Count);
        var svg = File.ReadAllText(files.Single(f => f.EndsWith(".svg", StringComparison.Ordinal)));
        Assert.Contains("1h", svg);
        Assert.Contains("drift scale (worst chip)", svg);
    }
}
