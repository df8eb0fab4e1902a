using ImcSharp.IO;

namespace ImcSharp.Tests.IO;

/// <summary>The file conventions every command relies on: write-then-rename, JSON lines that survive a torn write, one JSON convention.</summary>
public class IoTests
{
    sealed record Point(string Id, double Value, ImcSharp.Config.AdcRangeMode Mode);

    /// <summary>A write that fails midway leaves the file as it was and no temporary beside it; a stale temporary of a dead process is removed by the next write.</summary>
    [Fact]
    public void AFailedWriteLeavesTheOldFileAndNoTemporary()
    {
        var dir = Synthetic.TempDir();
        var path = Path.Combine(dir, "result.json");
        AtomicFile.WriteAllText(path, "old");
        Assert.Throws<InvalidOperationException>(() => AtomicFile.Write(path, s => { s.WriteByte(1); throw new InvalidOperationException("disk gone"); }));
        Assert.Equal("old", File.ReadAllText(path));
        Assert.Empty(Directory.GetFiles(dir, "*.tmp-*"));
        // A process id that cannot be running (above the kernel's limit): its temporary is stale.
        var stale = path + ".tmp-2147483646";
        File.WriteAllText(stale, "half");
        AtomicFile.WriteAllText(path, "new");
        Assert.Equal("new", File.ReadAllText(path));
        Assert.False(File.Exists(stale));
    }

    /// <summary>Appended records read back in order; a torn last line (a killed append) is dropped and cut from the file, any other bad line is one error naming it.</summary>
    [Fact]
    public void JsonLinesSurviveATornLastLineAndNameABadOne()
    {
        var path = Path.Combine(Synthetic.TempDir(), "points.jsonl");
        JsonLines.Append(path, new Point("a", 0.5, ImcSharp.Config.AdcRangeMode.Exact));
        JsonLines.Append(path, new Point("b", 1e-9, ImcSharp.Config.AdcRangeMode.Calibrated));
        File.AppendAllText(path, "{\"id\": \"c\", \"va");
        var read = JsonLines.Read<Point>(path, "a point");
        Assert.Equal(new[] { "a", "b" }, read.Select(p => p.Id));
        Assert.Equal(1e-9, read[1].Value);
        Assert.Equal(2, File.ReadAllLines(path).Length);
        JsonLines.Append(path, new Point("d", 2, ImcSharp.Config.AdcRangeMode.Auto));
        Assert.Equal(new[] { "a", "b", "d" }, JsonLines.Read<Point>(path, "a point").Select(p => p.Id));
        File.WriteAllText(path, "not json\n" + JsonLines.Serialize(new Point("e", 3, ImcSharp.Config.AdcRangeMode.Auto)) + "\n");
        Assert.Contains("line 1 is not a point", Assert.Throws<ImcInputException>(() => JsonLines.Read<Point>(path, "a point")).Message);
    }

    /// <summary>One convention: snake_case keys, kebab-case enum names (and only names), shortest round-trip numbers; a null inside a list is named.</summary>
    [Fact]
    public void OneJsonConvention()
    {
        var text = System.Text.Json.JsonSerializer.Serialize(new Point("x", 0.1, ImcSharp.Config.AdcRangeMode.Calibrated), Json.Options);
        Assert.Contains("\"id\": \"x\"", text);
        Assert.Contains("\"value\": 0.1", text);
        Assert.Contains("\"mode\": \"calibrated\"", text);
        Assert.Throws<System.Text.Json.JsonException>(() => System.Text.Json.JsonSerializer.Deserialize<Point>("{\"id\":\"x\",\"value\":1,\"mode\":3}", Json.Strict));
        Assert.Equal("per-slice", Json.Name("PerSlice"));
        Assert.Contains("corners[1]: null in a list", Assert.Throws<ImcInputException>(() => Json.RejectNullElements("{\"corners\": [{}, null]}", "f.json")).Message);
        Json.RejectNullElements("{\"instances\": [{\"thresholds\": [0.5, null]}]}", "population.json");   // unreached transitions are null
    }
}
