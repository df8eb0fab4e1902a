using ImcSharp.Config;
using ImcSharp.Sweeps;

namespace ImcSharp.Tests.Sweeps;

public class SweepTests
{
    static SweepSpec Spec() => new()
    {
        Hardware = Repo.Path("experiments", "hw", "current-rram-cco.json"),
        Adcs = new() { ["sar"] = Repo.Path("configs", "adc", "sar.json"), ["cco"] = Repo.Path("configs", "adc", "cco.json") },
        AdcBits = new() { 4, 5, 6 },
        Calibration = new() { CalibrationKind.None, CalibrationKind.Lut },
        Training = new() { "float", "aware" },
    };

    static SweepResult Result(string id) => new(id, "sar", 4, "none", 1, "float", 2, 0.8, 0.01, 0.79, 0.795, 1e-9, 0.1, 0.9, 0.5, 1, 1);

    [Fact]
    public void ShardsSplitThePointsIntoDisjointSharesThatCoverAll()
    {
        var points = Spec().Points();
        Assert.Equal(2 * 3 * 2 * 2, points.Count);
        Assert.Equal(points.Count, points.Select(p => p.Id).Distinct().Count());
        var shards = Enumerable.Range(0, 5).Select(i => new Shard(i, 5)).ToList();
        var owned = shards.SelectMany(s => points.Where((p, k) => s.Owns(k))).Select(p => p.Id).ToList();
        Assert.Equal(points.Select(p => p.Id).OrderBy(x => x), owned.OrderBy(x => x));
        Assert.Equal(new Shard(2, 4), Shard.Parse("2/4"));
        Assert.Contains("expected i/n", Assert.Throws<ImcInputException>(() => Shard.Parse("4/4")).Message);
    }

    [Fact]
    public void MergeJoinsShardsAndTornLinesAreDropped()
    {
        var dir = Synthetic.TempDir();
        var spec = Spec();
        var ids = spec.Points().Select(p => p.Id).ToList();
        File.WriteAllText(Path.Combine(dir, "points.shard-0-of-2.jsonl"), ImcSharp.IO.Json.Serialize(Result(ids[0])).ReplaceLineEndings(" ") + "\n" + "{\"id\": \"torn");
        File.WriteAllText(Path.Combine(dir, "points.shard-1-of-2.jsonl"), ImcSharp.IO.Json.Serialize(Result(ids[1])).ReplaceLineEndings(" ") + "\n");
        var (results, missing) = SweepRunner.Merge(spec, dir);
        Assert.Equal(new[] { ids[0], ids[1] }, results.Select(r => r.Id));
        Assert.Equal(ids.Count - 2, missing.Count);
        Assert.Single(File.ReadAllLines(Path.Combine(dir, "points.shard-0-of-2.jsonl")));   // the torn line is gone
        Assert.Equal(2, File.ReadAllLines(Path.Combine(dir, "points.jsonl")).Length);
    }

    [Fact]
    public void ASpecWithProblemsNamesTheFieldAndTheFile()
    {
        var path = Path.Combine(Synthetic.TempDir(), "bad.json");
        var hw = Repo.Path("experiments", "hw", "current-rram-cco.json");
        var sar = Repo.Path("configs", "adc", "sar.json");
        string Error(string json)
        {
            File.WriteAllText(path, json);
            return Assert.Throws<ImcInputException>(() => SweepSpec.Load(path)).Message;
        }
        var msg = Error("""{ "hardware": "nowhere.json", "adcs": { "sar": "../nope.json" } }""");
        Assert.Contains("bad.json", msg);
        Assert.Contains("hardware = ", msg);
        Assert.Contains("adcs.sar = ", Error($$"""{ "hardware": "{{hw}}", "adcs": { "sar": "../nope.json" } }"""));
        Assert.Contains("adc_bits[0] = 0", Error($$"""{ "hardware": "{{hw}}", "adcs": { "sar": "{{sar}}" }, "adc_bits": [0] }"""));
        Assert.Contains("training = magic", Error($$"""{ "hardware": "{{hw}}", "adcs": { "sar": "{{sar}}" }, "training": ["magic"] }"""));
        Assert.Contains("hardware", Error("""{ "hardware": 5 }"""));
    }
}
