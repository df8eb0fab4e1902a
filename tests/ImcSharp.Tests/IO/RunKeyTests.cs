using ImcSharp.IO;

namespace ImcSharp.Tests.IO;

/// <summary>Resumable files are reused only under an equal key; a different key names what differs.</summary>
public class RunKeyTests
{
    [Fact]
    public void EqualPartsMatchAndADifferentPartIsNamedWithBothValues()
    {
        var key = RunKey.Of(("checkpoint", "ab12"), ("chips", 20), ("scale", 0.5));
        var stored = new Dictionary<string, string>(key.Parts);
        Assert.Empty(key.Differences(stored));
        key.Check(stored, "chips.jsonl", "was written by");

        stored["chips"] = "10";
        stored.Remove("scale");
        stored["extra"] = "x";
        Assert.Equal(new[] { "chips: 10 -> 20", "extra: x -> (none)", "scale: (none) -> 0.5" }, key.Differences(stored));
        var e = Assert.Throws<ImcInputException>(() => key.Check(stored, "chips.jsonl", "was written by"));
        Assert.StartsWith("chips.jsonl: was written by another setup (chips: 10 -> 20;", e.Message);
        Assert.Contains("no record", Assert.Throws<ImcInputException>(() => key.Check(null, "f", "w")).Message);
    }

    /// <summary>Values are written in the invariant culture: a German machine's key equals an English one's.</summary>
    [Fact]
    public void ValuesAreCultureInvariant()
    {
        var before = System.Globalization.CultureInfo.CurrentCulture;
        try
        {
            System.Globalization.CultureInfo.CurrentCulture = new System.Globalization.CultureInfo("de-DE");
            Assert.Equal("0.25", RunKey.Of(("lr", 0.25)).Parts["lr"]);
        }
        finally { System.Globalization.CultureInfo.CurrentCulture = before; }
    }

    [Fact]
    public void AFilesHashIsTheHashOfItsBytes()
    {
        var path = Path.Combine(Synthetic.TempDir(), "weights.bin");
        var bytes = Enumerable.Range(0, 70_000).Select(i => (byte)(i * 31)).ToArray();
        File.WriteAllBytes(path, bytes);
        Assert.Equal(RunKey.Hash(bytes), RunKey.HashFile(path));
        Assert.Equal(16, RunKey.Hash(bytes).Length);
        bytes[12_345] ^= 1;
        Assert.NotEqual(RunKey.Hash(bytes), RunKey.HashFile(path));
    }
}
