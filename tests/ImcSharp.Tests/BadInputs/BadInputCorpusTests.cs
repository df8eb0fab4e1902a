using System.Text.RegularExpressions;
using ImcSharp.Cli;

namespace ImcSharp.Tests.BadInputs;

/// <summary>
/// Everything a case refers to, made once: generated datasets in the real formats, a small
/// trained checkpoint and damaged copies of it. Placeholders in cases.tsv name these.
/// </summary>
public sealed class BadInputWorld
{
    public Dictionary<string, string> Places { get; } = new();

    public BadInputWorld()
    {
        var mnist = Synthetic.MnistDir(train: 128, test: 64);
        var root = Synthetic.TempDir();
        var ckpt = Path.Combine(root, "mlp.ckpt");
        var (code, err) = BadInputCorpusTests.Run("train", "--model", "mlp", "--dataset", "mnist", "--data", mnist, "--epochs", "1", "--out", root);
        if (code != 0) throw new InvalidOperationException("fixture checkpoint: " + err);
        File.Move(Path.Combine(root, "mlp.ckpt"), ckpt, overwrite: true);
        var bytes = File.ReadAllBytes(ckpt);

        // Weight bytes flipped in the middle of the tensor payload (past the JSON header).
        var flipped = (byte[])bytes.Clone();
        for (int i = bytes.Length / 2; i < bytes.Length / 2 + 64; i++) flipped[i] ^= 0x5A;
        File.WriteAllBytes(Path.Combine(root, "flipped.ckpt"), flipped);
        File.WriteAllBytes(Path.Combine(root, "truncated.ckpt"), bytes[..(bytes.Length / 3)]);
        File.WriteAllText(Path.Combine(root, "text.ckpt"), "not a checkpoint\n");

        // Test images of another size than the training images.
        var mixed = Synthetic.TempDir();
        foreach (var f in Directory.GetFiles(mnist, "train-*")) File.Copy(f, Path.Combine(mixed, Path.GetFileName(f)));
        var (px, lb) = Synthetic.Blocks(16, 20, 3);
        Synthetic.WriteFile(Path.Combine(mixed, "t10k-images-idx3-ubyte.gz"), Synthetic.Idx(new[] { 16, 20, 20 }, px), gzip: true);
        Synthetic.WriteFile(Path.Combine(mixed, "t10k-labels-idx1-ubyte.gz"), Synthetic.Idx(new[] { 16 }, lb), gzip: true);

        // Labels out of the 10 classes; fewer labels than images.
        var badLabels = Synthetic.TempDir();
        foreach (var f in Directory.GetFiles(mnist)) File.Copy(f, Path.Combine(badLabels, Path.GetFileName(f)));
        Synthetic.WriteFile(Path.Combine(badLabels, "t10k-labels-idx1-ubyte.gz"), Synthetic.Idx(new[] { 64 }, Enumerable.Repeat((byte)42, 64).ToArray()), gzip: true);
        var shortLabels = Synthetic.TempDir();
        foreach (var f in Directory.GetFiles(mnist)) File.Copy(f, Path.Combine(shortLabels, Path.GetFileName(f)));
        Synthetic.WriteFile(Path.Combine(shortLabels, "t10k-labels-idx1-ubyte.gz"), Synthetic.Idx(new[] { 10 }, new byte[10]), gzip: true);

        // Constant images: nothing to learn from, and a zero pixel spread.
        var constant = Synthetic.TempDir();
        foreach (var (prefix, n) in new[] { ("train", 64), ("t10k", 32) })
        {
            Synthetic.WriteFile(Path.Combine(constant, $"{prefix}-images-idx3-ubyte.gz"), Synthetic.Idx(new[] { n, 28, 28 }, Enumerable.Repeat((byte)77, n * 784).ToArray()), gzip: true);
            Synthetic.WriteFile(Path.Combine(constant, $"{prefix}-labels-idx1-ubyte.gz"), Synthetic.Idx(new[] { n }, Enumerable.Range(0, n).Select(i => (byte)(i % 10)).ToArray()), gzip: true);
        }

        var cifar = Synthetic.TempDir();
        for (int i = 1; i <= 5; i++) File.WriteAllBytes(Path.Combine(cifar, $"data_batch_{i}.bin"), Synthetic.CifarRecords(8, i));
        File.WriteAllBytes(Path.Combine(cifar, "test_batch.bin"), Synthetic.CifarRecords(8, 99));

        // A CIFAR test batch cut mid-record; IDX files with a wrong magic number or cut short.
        var cifarCut = Synthetic.TempDir();
        foreach (var f in Directory.GetFiles(cifar)) File.Copy(f, Path.Combine(cifarCut, Path.GetFileName(f)));
        File.WriteAllBytes(Path.Combine(cifarCut, "test_batch.bin"), Synthetic.CifarRecords(3, 5)[..5000]);
        var badMagic = Synthetic.TempDir();
        foreach (var f in Directory.GetFiles(mnist)) File.Copy(f, Path.Combine(badMagic, Path.GetFileName(f)));
        var idx = Synthetic.Idx(new[] { 64, 28, 28 }, new byte[64 * 784]);
        idx[2] = 0x0D;
        Synthetic.WriteFile(Path.Combine(badMagic, "t10k-images-idx3-ubyte.gz"), idx, gzip: true);
        var idxCut = Synthetic.TempDir();
        foreach (var f in Directory.GetFiles(mnist)) File.Copy(f, Path.Combine(idxCut, Path.GetFileName(f)));
        Synthetic.WriteFile(Path.Combine(idxCut, "t10k-images-idx3-ubyte.gz"), Synthetic.Idx(new[] { 64, 28, 28 }, new byte[64 * 784])[..3000], gzip: true);
        Places["cifar-cut"] = cifarCut;
        Places["idx-bad-magic"] = badMagic;
        Places["idx-cut"] = idxCut;

        // A regular file where a directory is expected: nothing can be created under it, even as root.
        var blocker = Path.Combine(root, "a-file");
        File.WriteAllText(blocker, "x");

        Places["in"] = Repo.Path("tests", "ImcSharp.Tests", "BadInputs", "files");
        Places["repo"] = Repo.Root;
        Places["mnist"] = mnist;
        Places["mixed-sizes"] = mixed;
        Places["bad-labels"] = badLabels;
        Places["short-labels"] = shortLabels;
        Places["constant"] = constant;
        Places["cifar"] = cifar;
        Places["ckpt"] = ckpt;
        Places["flipped"] = Path.Combine(root, "flipped.ckpt");
        Places["truncated"] = Path.Combine(root, "truncated.ckpt");
        Places["text-ckpt"] = Path.Combine(root, "text.ckpt");
        Places["blocked"] = Path.Combine(blocker, "sub");
    }
}

/// <summary>
/// The bad-input corpus (cases.tsv and the files beside it): every case must end with its exit
/// code and one line on stderr, "imc: error: ...", that names the culprit (the fragment), with
/// no stack trace and nothing written where the run was told to write.
/// </summary>
public class BadInputCorpusTests : IClassFixture<BadInputWorld>
{
    readonly BadInputWorld _world;
    public BadInputCorpusTests(BadInputWorld world) => _world = world;

    public sealed record Case(string Name, int Exit, string Fragment, string Args)
    {
        public override string ToString() => Name;
    }

    static string CasesFile => Repo.Path("tests", "ImcSharp.Tests", "BadInputs", "cases.tsv");

    public static IEnumerable<object[]> Cases() => Read().Select(c => new object[] { c });

    static List<Case> Read()
    {
        var list = new List<Case>();
        foreach (var raw in File.ReadAllLines(CasesFile))
        {
            if (raw.Trim().Length == 0 || raw.TrimStart().StartsWith('#')) continue;
            var f = raw.Split('\t');
            if (f.Length != 4) throw new FormatException($"{CasesFile}: expected name<TAB>exit<TAB>fragment<TAB>args, found: {raw}");
            list.Add(new Case(f[0], int.Parse(f[1]), f[2], f[3]));
        }
        return list;
    }

    public static (int Code, string Err) Run(params string[] args)
    {
        var err = new StringWriter();
        var old = Console.Error;
        Console.SetError(err);
        try { return (CliApp.Run(args), err.ToString()); }
        finally { Console.SetError(old); }
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void BadInputGivesOneClearError(Case c)
    {
        var tmp = Synthetic.TempDir();
        string Expand(string s) => Regex.Replace(s, @"\{([a-z-]+)\}", m =>
            m.Groups[1].Value == "tmp" ? tmp : _world.Places.TryGetValue(m.Groups[1].Value, out var p) ? p : throw new KeyNotFoundException($"{c.Name}: unknown placeholder {m.Value}"));
        var args = c.Args.Split(' ', StringSplitOptions.RemoveEmptyEntries).Select(Expand).ToArray();
        var (code, err) = Run(args);
        var lines = err.Trim().Split('\n');
        Assert.True(code == c.Exit, $"{c.Name}: exit {code}, expected {c.Exit}; stderr: {err}");
        Assert.True(lines.Length == 1 && lines[0].StartsWith("imc: error:"), $"{c.Name}: expected one error line, got: {err}");
        Assert.True(lines[0].Contains(Expand(c.Fragment), StringComparison.Ordinal), $"{c.Name}: '{lines[0]}' does not name '{Expand(c.Fragment)}'");
        Assert.DoesNotContain("   at ", err);
        // IMC_CORPUS_REPORT=FILE collects every case's message (for review and the issue notes).
        if (Environment.GetEnvironmentVariable("IMC_CORPUS_REPORT") is { Length: > 0 } report)
            File.AppendAllText(report, $"| {c.Name} | {code} | `{lines[0].Replace(_world.Places["in"] + "/", "").Replace(tmp, "TMP").Replace("|", "\\|")}` |\n");
        // Nothing half-written is left where the run was told to write.
        Assert.Empty(Directory.GetFiles(tmp, "*.tmp-*", SearchOption.AllDirectories));
    }

    [Fact]
    public void CorpusCoversEveryCommandWithAtLeastEightyCases()
    {
        var cases = Read();
        Assert.True(cases.Count >= 80, $"{cases.Count} cases");
        Assert.Equal(cases.Count, cases.Select(c => c.Name).Distinct().Count());
        foreach (var cmd in new[] { "train ", "eval ", "adc show", "adc import", "cost ", "sweep ", "sweep merge", "experiment approx-adc", "demo " })
            Assert.Contains(cases, c => (c.Args + " ").StartsWith(cmd));
        var files = Directory.GetFiles(Repo.Path("tests", "ImcSharp.Tests", "BadInputs", "files"));
        foreach (var f in files.Select(Path.GetFileName))
            Assert.True(cases.Any(c => c.Args.Contains(f!)) || files.Any(g => File.ReadAllText(g).Contains(f!)), $"{f} is in files/ but no case uses it");
    }
}
