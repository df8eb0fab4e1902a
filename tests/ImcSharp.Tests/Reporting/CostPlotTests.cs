using ImcSharp.Reporting;

namespace ImcSharp.Tests.Reporting;

/// <summary>The Pareto front a sweep reports: the designs no cheaper design beats on accuracy.</summary>
public class CostPlotTests
{
    [Fact]
    public void TheFrontKeepsOnlyPointsNoCheaperPointMatches()
    {
        var points = new List<(double Cost, double Accuracy)>
        {
            (5, 0.90), (1, 0.80), (3, 0.85), (2, 0.79), (3, 0.84), (4, 0.85), (6, 0.95), (1, 0.70),
        };
        Assert.Equal(new[] { (1.0, 0.80), (3.0, 0.85), (5.0, 0.90), (6.0, 0.95) }, CostPlots.Front(points));
        Assert.Empty(CostPlots.Front(new List<(double, double)>()));
    }

    /// <summary>The front's plot is written as both files, the SVG holding the title and axis label.</summary>
    [Fact]
    public void AParetoPlotIsWrittenAsPngAndSvg()
    {
        var stem = Path.Combine(Synthetic.TempDir(), "pareto");
        var files = CostPlots.Pareto(stem, "lenet5: accuracy against energy", "energy per inference (nJ)",
            new[] { ("sar-6b", 1.0, 0.8, "sar"), ("sar-7b", 2.0, 0.85, "sar"), ("cco-6b", 3.0, 0.84, "cco") });
        Assert.Equal(2, files.Count);
        Assert.All(files, f => Assert.True(new FileInfo(f).Length > 1000, f));
        var svg = File.ReadAllText(files.Single(f => f.EndsWith(".svg", StringComparison.Ordinal)));
        Assert.Contains("accuracy against energy", svg);
    }
}
