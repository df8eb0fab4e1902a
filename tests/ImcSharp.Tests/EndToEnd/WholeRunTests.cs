using System.Text.Json;
using ImcSharp.Tests.BadInputs;

namespace ImcSharp.Tests.EndToEnd;

/// <summary>
/// The long-running commands end to end on tiny specs and generated data: the headline
/// experiment, a sweep and the demo each run, write their reports, and reuse their work when run again.
/// </summary>
[Trait("Category", "Slow")]
public class WholeRunTests
{
    static readonly Lazy<string> Data = new(() => Synthetic.MnistDir(train: 256, test: 64));

    static string Hw => Repo.Path("experiments", "hw", "current-rram-cco.json");

    static string Write(string dir, string name, string json)
    {
        var path = Path.Combine(dir, name);
        File.WriteAllText(path, json);
        return path;
    }

    static (int Code, string Err) Run(params string[] args) => BadInputCorpusTests.Run(args);

    [Fact]
    public void TheExperimentRunsWritesItsTableAndReusesItsWork()
    {
        var dir = Synthetic.TempDir();
        // A second design that differs only in its converters' digital trim: it shares the first's aware-on-ideal network.
        var trimmed = Write(dir, "trim.json", File.ReadAllText(Hw).Replace("\"adc\": {", "\"adc\": { \"offset_trim\": true,")
            .Replace("\"name\": \"current-rram-cco\"", "\"name\": \"current-rram-cco-trim\""));
        Assert.Contains("current-rram-cco-trim", File.ReadAllText(trimmed));
        Assert.Contains("offset_trim", File.ReadAllText(trimmed));
        var spec = Write(dir, "tiny.json", $$"""
            { "name": "tiny", "dataset": "mnist", "seed": 3,
              "models": [ { "model": "mlp", "float_epochs": 1, "aware_epochs": 1, "test_images": 64, "aware_train_images": 128 } ],
              "array_modes": [ { "name": "current", "hardware": "{{Hw}}" }, { "name": "current-trim", "hardware": "{{trimmed}}" } ],
              "adc_bits": [6], "chips": 2, "corners": 2, "calibration_images": 64, "variation_study": false,
              "quick": { "models": ["mlp"], "adc_bits": [6], "chips": 2 } }
            """);
        var json = Path.Combine(dir, "result.json");
        var first = Run("experiment", "approx-adc", "--config", spec, "--data", Data.Value, "--out", Path.Combine(dir, "out"), "--json", json);
        Assert.True(first.Code == 0, first.Err);
        using var doc = JsonDocument.Parse(File.ReadAllText(json));
        var rows = doc.RootElement.GetProperty("rows").EnumerateArray().ToList();
        // Per design: float and aware networks on ideal, calibrated and approximate ADCs (and the aware-on-ideal reference).
        Assert.True(rows.Count >= 12, $"{rows.Count} rows");
        Assert.All(rows, r => Assert.InRange(r.GetProperty("mean").GetDouble(), 0, 1));
        var again = Path.Combine(dir, "again.json");
        Assert.Equal(0, Run("experiment", "approx-adc", "--config", spec, "--data", Data.Value, "--out", Path.Combine(dir, "out"), "--json", again).Code);
        using var doc2 = JsonDocument.Parse(File.ReadAllText(again));
        Assert.Equal(rows.Select(r => r.GetProperty("mean").GetDouble()), doc2.RootElement.GetProperty("rows").EnumerateArray().Select(r => r.GetProperty("mean").GetDouble()));
        Assert.True(doc2.RootElement.GetProperty("seconds").GetDouble() < doc.RootElement.GetProperty("seconds").GetDouble(), "the second run reuses networks and chips");
    }

    [Fact]
    public void ASweepRunsItsPointsWritesItsReportAndResumes()
    {
        var dir = Synthetic.TempDir();
        var spec = Write(dir, "sweep.json", $$"""
            { "name": "tiny-sweep", "dataset": "mnist", "model": "mlp", "seed": 3, "hardware": "{{Hw}}",
              "adcs": { "sar": "{{Repo.Path("configs", "adc", "sar.json")}}" },
              "adc_bits": [4, 6], "calibration": ["none"], "adc_share": [1], "training": ["float", "aware"],
              "chips": 2, "corners": 2, "test_images": 64, "float_epochs": 1, "aware_epochs": 1, "aware_train_images": 128, "calibration_images": 64 }
            """);
        var outDir = Path.Combine(dir, "out");
        var r = Run("sweep", spec, "--out", outDir, "--data", Data.Value, "--json", Path.Combine(dir, "points.json"));
        Assert.True(r.Code == 0, r.Err);
        Assert.Equal(4, File.ReadAllLines(Path.Combine(outDir, "points.jsonl")).Length);
        Assert.True(File.Exists(Path.Combine(outDir, "sweep.md")));
        Assert.True(File.Exists(Path.Combine(outDir, "pareto-energy.png")));
        var before = File.ReadAllText(Path.Combine(outDir, "points.jsonl"));
        Assert.Equal(0, Run("sweep", spec, "--out", outDir, "--data", Data.Value).Code);
        Assert.Equal(before, File.ReadAllText(Path.Combine(outDir, "points.jsonl")));
    }

    [Fact]
    public void TheDemoTrainsEvaluatesAndRunsItsSmallExperiment()
    {
        var dir = Synthetic.TempDir();
        var spec = Write(dir, "exp.json", $$"""
            { "name": "demo-base", "dataset": "fashion-mnist", "seed": 7,
              "models": [ { "model": "lenet5", "float_epochs": 1, "aware_epochs": 1 } ],
              "array_modes": [ { "name": "current", "hardware": "{{Hw}}" } ], "calibration_images": 64 }
            """);
        var json = Path.Combine(dir, "demo.json");
        var r = Run("demo", "--data", Data.Value, "--epochs", "1", "--config", spec, "--out", Path.Combine(dir, "out"), "--json", json);
        Assert.True(r.Code == 0, r.Err);
        Assert.True(File.Exists(Path.Combine(dir, "out", "results.md")));
        using var doc = JsonDocument.Parse(File.ReadAllText(json));
        Assert.True(doc.RootElement.TryGetProperty("experiment", out _) || doc.RootElement.EnumerateObject().Count() >= 3);
    }
}
