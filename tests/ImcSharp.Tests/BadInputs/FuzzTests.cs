using System.Text.Json.Nodes;
using CsCheck;

namespace ImcSharp.Tests.BadInputs;

/// <summary>
/// Property-based fuzzing of the files a user writes: a shipped hardware config, an ADC config, a
/// population file and a curve-import spec, each with a few random edits (a key removed, a value
/// replaced by a number of any size and sign, a string, a bool, null, an empty array or object).
/// Whatever the edits, the command ends in success (exit 0) or in exit 2 with one line,
/// "imc: error: ...", never a stack trace, and the input file is as it was. CsCheck draws
/// <see cref="Cases"/> edit lists per file kind and shrinks a failure to its fewest edits.
/// </summary>
public class FuzzTests
{
    /// <summary>Cases per file kind and run (IMC_FUZZ_CASES sets more, for a deeper search by hand).</summary>
    static readonly int Cases = int.TryParse(Environment.GetEnvironmentVariable("IMC_FUZZ_CASES"), out var n) && n > 0 ? n : 60;

    /// <summary>One edit: which node (an index into the document's nodes, taken modulo their count) and what it becomes.</summary>
    public sealed record Edit(int Node, int Kind, double Number, string Text);

    static readonly Gen<Edit> EditGen = Gen.Select(Gen.Int[0, 10_000], Gen.Int[0, 7],
        Gen.OneOf(Gen.Double[-1e6, 1e6], Gen.Const(0.0), Gen.Const(-1.0), Gen.Const(1e300), Gen.Const(1e-300), Gen.Int[-3, 300].Select(i => (double)i)),
        Gen.OneOf(Gen.Const(""), Gen.Const("ideal"), Gen.Const("digital"), Gen.Const("nan"), Gen.String[Gen.Char.AlphaNumeric, 0, 8]),
        (n, k, x, s) => new Edit(n, k, x, s));

    static readonly Gen<Edit[]> Edits = EditGen.Array[1, 4];

    /// <summary>Every value node of a document with the way to replace or remove it.</summary>
    static List<(JsonNode Parent, object Key)> Slots(JsonNode root)
    {
        var slots = new List<(JsonNode, object)>();
        void Walk(JsonNode? n)
        {
            if (n is JsonObject o) foreach (var (k, v) in o.ToList()) { slots.Add((o, k)); Walk(v); }
            else if (n is JsonArray a) for (int i = 0; i < a.Count; i++) { slots.Add((a, i)); Walk(a[i]); }
        }
        Walk(root);
        return slots;
    }

    static string Apply(string json, Edit[] edits)
    {
        var root = JsonNode.Parse(json)!;
        foreach (var e in edits)
        {
            var slots = Slots(root);
            if (slots.Count == 0) break;
            var (parent, key) = slots[e.Node % slots.Count];
            JsonNode? value = e.Kind switch
            {
                1 => JsonValue.Create(e.Number),
                2 => JsonValue.Create(e.Text),
                3 => JsonValue.Create(e.Number > 0),
                4 => null,
                5 => new JsonArray(),
                6 => new JsonObject(),
                _ => JsonValue.Create(Math.Round(e.Number)),
            };
            if (e.Kind == 0)
            {
                if (parent is JsonObject o) o.Remove((string)key);
                else ((JsonArray)parent).RemoveAt((int)key);
            }
            else if (parent is JsonObject o) o[(string)key] = value;
            else ((JsonArray)parent)[(int)key] = value;
        }
        return root.ToJsonString();
    }

    /// <summary>Runs the command on the edited file: exit 0, or exit 2 with one error line and no trace; the file unchanged.</summary>
    static void Check(string path, string[] args)
    {
        var before = File.ReadAllBytes(path);
        var (code, err) = BadInputCorpusTests.Run(args);
        if (code is not (0 or 2) && Environment.GetEnvironmentVariable("IMC_FUZZ_DUMP") is { } dump) File.Copy(path, Path.Combine(dump, Guid.NewGuid() + Path.GetExtension(path)), true);
        Assert.True(code is 0 or 2, $"exit {code}: {err}");
        Assert.DoesNotContain("   at ", err);
        if (code == 2)
        {
            var lines = err.Trim().Split('\n');
            Assert.True(lines.Length == 1 && lines[0].StartsWith("imc: error:", StringComparison.Ordinal), err);
        }
        Assert.Equal(before, File.ReadAllBytes(path));
    }

    [Fact]
    public void AnEditedHardwareConfigIsPricedOrRefusedInOneLine()
    {
        var source = File.ReadAllText(Repo.Path("experiments", "hw", "current-rram-cco-realistic.json"));
        var dir = Synthetic.TempDir();
        Edits.Sample(edits =>
        {
            var path = Path.Combine(dir, "hw.json");
            File.WriteAllText(path, Apply(source, edits));
            Check(path, new[] { "cost", "--hw", path, "--model", "lenet5" });
        }, iter: Cases, threads: 1, seed: "dvUVb2ZocyP1");
    }

    [Fact]
    public void AnEditedAdcConfigIsShownOrRefusedInOneLine()
    {
        var source = File.ReadAllText(Repo.Path("experiments", "adc", "cco-approx.json"));
        var dir = Synthetic.TempDir();
        Edits.Sample(edits =>
        {
            var path = Path.Combine(dir, "adc.json");
            File.WriteAllText(path, Apply(source, edits));
            Check(path, new[] { "adc", "show", path, "--chips", "1", "--per-chip", "2", "--format", "svg", "--out", Path.Combine(dir, "plots") });
        }, iter: Cases, threads: 1, seed: "7KoiM1EeqPj1");
    }

    [Fact]
    public void AnEditedImportSpecOrPopulationIsReadOrRefusedInOneLine()
    {
        var dir = Synthetic.TempDir();
        File.Copy(Path.Combine(Repo.Root, "tests", "ImcSharp.Tests", "BadInputs", "files", "curve.csv"), Path.Combine(dir, "curve.csv"));
        var spec = """{ "file": "curve.csv", "input": "x", "outputs": ["code"], "bits": 2, "allow_unreached_codes": true }""";
        // A valid population to edit: written by the import of the unedited spec.
        File.WriteAllText(Path.Combine(dir, "spec.json"), spec);
        Assert.Equal(0, BadInputCorpusTests.Run("adc", "import", Path.Combine(dir, "spec.json"), "--format", "svg", "--out", Path.Combine(dir, "plots")).Code);
        var population = File.ReadAllText(Path.Combine(dir, "spec.population.json"));
        Edits.Sample(edits =>
        {
            var path = Path.Combine(dir, "edited.json");
            File.WriteAllText(path, Apply(spec, edits));
            Check(path, new[] { "adc", "import", path, "--format", "svg", "--out", Path.Combine(dir, "plots") });
            var pop = Path.Combine(dir, "pop.json");
            File.WriteAllText(pop, Apply(population, edits));
            var hw = Path.Combine(dir, "hw-pop.json");
            File.WriteAllText(hw, $$"""{ "adc": { "kind": "population", "bits": 2, "population": "pop.json" } }""");
            Check(pop, new[] { "adc", "show", hw, "--chips", "1", "--per-chip", "2", "--format", "svg", "--out", Path.Combine(dir, "plots") });
        }, iter: Cases, threads: 1, seed: "0000fuzzpop1");
    }
}
