using ImcSharp.Reporting;

namespace ImcSharp.Tests.Reporting;

/// <summary>Plots are real image files: the PNG decodes at a usable size, the SVG is an svg document with the title in it.</summary>
public class PlotFileTests
{
    [Fact]
    public void AChipHistogramIsAReadablePngAndSvg()
    {
        var stem = Path.Combine(Synthetic.TempDir(), "chips");
        var files = ChipPlots.Histogram(stem, "lenet5 on a test design: 5 chips",
            new[] { ("chips", (IReadOnlyList<double>)new[] { 0.81, 0.83, 0.84, 0.845, 0.86 }) },
            new[] { ("quantized (ideal core)", 0.87) });
        var png = files.Single(f => f.EndsWith(".png", StringComparison.Ordinal));
        var svg = files.Single(f => f.EndsWith(".svg", StringComparison.Ordinal));
        using var bitmap = SkiaSharp.SKBitmap.Decode(png);
        Assert.NotNull(bitmap);
        Assert.True(bitmap.Width >= 400 && bitmap.Height >= 300, $"{bitmap.Width}x{bitmap.Height}");
        var doc = System.Xml.Linq.XDocument.Load(svg);
        Assert.Equal("svg", doc.Root!.Name.LocalName);
        Assert.Contains("5 chips", doc.ToString());
    }
}
