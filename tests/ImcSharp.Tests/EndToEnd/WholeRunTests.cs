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
        // A stored price from an older cost model: the accuracies are reused, the price is today's.
        static double[] Energies(string json) => JsonDocument.Parse(json).RootElement.EnumerateArray()
            .Select(p => p.GetProperty("energy_per_inference_j").GetDouble()).ToArray();
        var fresh = Energies(File.ReadAllText(Path.Combine(dir, "points.json")));
        var stale = System.Text.RegularExpressions.Regex.Replace(before, "\"energy_per_inference_j\":[^,]+",
            "\"energy_per_inference_j\":1");
        Assert.NotEqual(before, stale);
        File.WriteAllText(Path.Combine(outDir, "points.jsonl"), stale);
        Assert.Equal(0, Run("sweep", spec, "--out", outDir, "--data", Data.Value, "--json", Path.Combine(dir, "again.json")).Code);
        Assert.Equal(fresh, Energies(File.ReadAllText(Path.Combine(dir, "again.json"))));
    }

    [Fact]
    public void ASearchFindsWhatTheGridFindsResumesAndItsShardsMergeToTheSameAnswer()
    {
        var dir = Synthetic.TempDir();
        string Spec(double target, string bits = "2, 4, 6", string training = "\"float\", \"aware\"") =>
            Write(dir, $"search-{target}-{bits.Length}.json", $$"""
            { "name": "tiny-search", "dataset": "mnist", "model": "mlp", "seed": 3, "hardware": "{{Hw}}",
              "adcs": { "cco": "{{Repo.Path("experiments", "adc", "cco-approx.json")}}" },
              "adc_bits": [{{bits}}], "compensation": ["none", "offset-trim"], "training": [{{training}}],
              "chips": 4, "corners": 2, "test_images": 64, "float_epochs": 1, "aware_epochs": 1,
              "aware_train_images": 128, "calibration_images": 64,
              "target": { "accuracy": {{target.ToString(System.Globalization.CultureInfo.InvariantCulture)}}, "on": "worst-chip" },
              "screen": { "chips": 2, "test_images": 32, "z": 2 } }
            """);
        // A target between the float network's accuracy and chance: some designs hold it, the 2-bit ones may not.
        var spec = Spec(0.5);
        var outDir = Path.Combine(dir, "one");
        var json = Path.Combine(dir, "r.json");
        var r = Run("search", spec, "--out", outDir, "--data", Data.Value, "--grid", "--json", json);
        Assert.True(r.Code is 0 or 3, r.Err);
        using var doc = JsonDocument.Parse(File.ReadAllText(json));
        var root = doc.RootElement;
        Assert.Equal(12, root.GetProperty("grid_points").GetInt32());
        Assert.True(root.GetProperty("grid").GetProperty("same_answer").GetBoolean(), File.ReadAllText(json));
        Assert.True(File.Exists(Path.Combine(outDir, "search.md")));
        if (r.Code == 0)
        {
            // The chosen design is a hardware config the other commands read as it is.
            var chosen = root.GetProperty("chosen");
            var config = ImcSharp.Config.HardwareConfig.Load(chosen.GetProperty("config").GetString()!);
            Assert.StartsWith("current-rram-cco-cco-", config.Name);
            Assert.True(chosen.GetProperty("metric").GetDouble() >= 0.5);
        }
        // Run again: every measurement is reused, nothing is appended.
        var steps = File.ReadAllText(Path.Combine(outDir, "search.jsonl"));
        Assert.Equal(r.Code, Run("search", spec, "--out", outDir, "--data", Data.Value).Code);
        Assert.Equal(steps, File.ReadAllText(Path.Combine(outDir, "search.jsonl")));
        // Two shards (a Slurm array) and a merge choose what the single run chose.
        var shards = Path.Combine(dir, "shards");
        Assert.Equal(2, Run("search", "merge", spec, "--out", shards, "--data", Data.Value).Code);   // nothing yet
        foreach (var shard in new[] { "0/2", "1/2" })
            Assert.True(Run("search", spec, "--out", shards, "--data", Data.Value, "--shard", shard).Code is 0 or 3);
        var merged = Path.Combine(dir, "merged.json");
        Assert.Equal(r.Code, Run("search", "merge", spec, "--out", shards, "--data", Data.Value, "--json", merged).Code);
        using var m = JsonDocument.Parse(File.ReadAllText(merged));
        string? Id(JsonElement e) => e.GetProperty("chosen").ValueKind == JsonValueKind.Null ? null
            : e.GetProperty("chosen").GetProperty("id").GetString();
        Assert.Equal(Id(root), Id(m.RootElement));
        // An unreachable target (every chip perfect on 1-bit converters): no design, exit 3.
        Assert.Equal(3, Run("search", Spec(1.0, "1", "\"float\""), "--out", Path.Combine(dir, "none"), "--data",
            Data.Value).Code);
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
