using System.Text.Json;
using ImcSharp.Config;
using ImcSharp.Converters;
using ImcSharp.Experiments;
using ImcSharp.Sweeps;

namespace ImcSharp.Tests.Config;

/// <summary>Every config and spec the repository ships loads, validates, and reads back the same after a JSON round trip.</summary>
public class ShippedConfigTests
{
    static IEnumerable<string> Files(params string[] dirs) =>
        dirs.SelectMany(d => Directory.GetFiles(Repo.Path(d), "*.json")).OrderBy(f => f, StringComparer.Ordinal);

    [Fact]
    public void EveryHardwareConfigRoundTrips()
    {
        var files = Files("configs", Path.Combine("configs", "compare"), Path.Combine("experiments", "hw"), Path.Combine("experiments", "tune")).ToList();
        Assert.True(files.Count >= 10, $"{files.Count} hardware configs");
        foreach (var f in files)
        {
            if (JsonDocument.Parse(File.ReadAllText(f)).RootElement.TryGetProperty("core", out _) is false) continue;
            var hw = HardwareConfig.Load(f);
            var json = ImcSharp.IO.Json.Serialize(hw);
            var back = HardwareConfig.Parse(json, f);
            Assert.True(json == ImcSharp.IO.Json.Serialize(back), $"{f} does not read back the same");
            Assert.Equal(hw.Fingerprint(), back.Fingerprint());
        }
    }

    [Fact]
    public void EveryAdcConfigRoundTripsAndNamesARegisteredArchitecture()
    {
        var files = Files(Path.Combine("configs", "adc"), Path.Combine("experiments", "adc")).ToList();
        Assert.True(files.Count >= 10, $"{files.Count} ADC configs");
        foreach (var f in files)
        {
            var (_, cfg) = AdcConfigFile.Load(f);
            Assert.Contains(cfg.Kind, AdcKinds.Names);
            var back = JsonSerializer.Deserialize<AdcConfig>(ImcSharp.IO.Json.Serialize(cfg), ImcSharp.IO.Json.Strict)!;
            Assert.Equal(cfg, back);
        }
        // Every registered architecture has a shipped example config.
        var shipped = files.Select(f => AdcConfigFile.Load(f).Config.Kind).ToHashSet();
        Assert.All(AdcKinds.Names.Where(k => k != PopulationArchitecture.Name), k => Assert.Contains(k, shipped));
    }

    [Fact]
    public void EveryExperimentAndSweepSpecLoads()
    {
        static bool Sweep(string f) => Path.GetFileName(f).StartsWith("sweep", StringComparison.Ordinal);
        static bool Search(string f) => Path.GetFileName(f).StartsWith("search", StringComparison.Ordinal);
        foreach (var f in Files("experiments").Where(f => !Sweep(f) && !Search(f)))
            Assert.NotEmpty(ApproxAdcSpec.Load(f).ArrayModes);
        foreach (var f in Files("experiments").Where(Sweep))
            Assert.NotEmpty(SweepSpec.Load(f).Points());
        var searches = Files("experiments").Where(Search).ToList();
        Assert.NotEmpty(searches);
        foreach (var f in searches)
            Assert.InRange(SearchSpec.Load(f).Target.Accuracy, 0.1, 1);
    }
}
