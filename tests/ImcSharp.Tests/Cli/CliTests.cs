using System.Text.Json;
using ImcSharp.Cli;

namespace ImcSharp.Tests.Cli;

public class CliTests
{
    static (int Code, string Err) Run(params string[] args)
    {
        var err = new StringWriter();
        var old = Console.Error;
        Console.SetError(err);
        try { return (CliApp.Run(args), err.ToString()); }
        finally { Console.SetError(old); }
    }

    static void AssertOneLineError((int Code, string Err) r, string mustContain)
    {
        Assert.NotEqual(0, r.Code);
        var lines = r.Err.Trim().Split('\n');
        Assert.Single(lines);
        Assert.StartsWith("imc: error:", lines[0]);
        Assert.Contains(mustContain, lines[0]);
        Assert.DoesNotContain("   at ", r.Err);
    }

    [Fact]
    public void BadInputsGiveOneClearErrorAndNonZeroExit()
    {
        var dir = Synthetic.MnistDir(train: 20, test: 10);
        AssertOneLineError(Run("train", "--model", "alexnet", "--data", dir, "--dataset", "mnist"), "alexnet");
        AssertOneLineError(Run("train", "--epochs", "-1", "--data", dir, "--dataset", "mnist"), "epochs");
        AssertOneLineError(Run("train", "--data", "/no/such/dir"), "/no/such/dir");
        AssertOneLineError(Run("eval", "--checkpoint", "/no/such.ckpt"), "/no/such.ckpt");
        AssertOneLineError(Run("train", "--epochs", "abc"), "abc");

        var truncated = Path.Combine(dir, "t10k-images-idx3-ubyte.gz");
        var bytes = Synthetic.Idx(new[] { 10, 28, 28 }, new byte[7840]);
        Synthetic.WriteFile(truncated, bytes[..4000], gzip: true);
        AssertOneLineError(Run("train", "--data", dir, "--dataset", "mnist", "--epochs", "1", "--out", Synthetic.TempDir()), "truncated");

        Synthetic.WriteFile(truncated, bytes.Select((b, i) => i == 0 ? (byte)0x55 : b).ToArray(), gzip: true);
        AssertOneLineError(Run("eval", "--checkpoint", "/dev/null", "--data", dir, "--dataset", "mnist"), "IMCCKPT1");
    }

    [Fact]
    public void TrainThenEvalWriteTheContractedJson()
    {
        var dir = Synthetic.MnistDir(train: 320, test: 100);
        var outDir = Synthetic.TempDir();
        var trainJson = Path.Combine(outDir, "train.json");
        Assert.Equal(0, Run("train", "--model", "mlp", "--dataset", "mnist", "--data", dir, "--epochs", "1", "--seed", "7", "--out", outDir, "--json", trainJson).Code);
        using var t = JsonDocument.Parse(File.ReadAllText(trainJson));
        var acc = t.RootElement.GetProperty("test_accuracy").GetDouble();
        Assert.InRange(acc, 0.0, 1.0);
        Assert.Equal("mlp", t.RootElement.GetProperty("model").GetString());
        Assert.Equal("mnist", t.RootElement.GetProperty("dataset").GetString());
        Assert.Equal(1, t.RootElement.GetProperty("epochs").GetInt32());
        Assert.Equal(7, t.RootElement.GetProperty("seed").GetInt64());
        Assert.True(t.RootElement.GetProperty("seconds").GetDouble() > 0);

        var ckpt = t.RootElement.GetProperty("checkpoint").GetString()!;
        Assert.StartsWith(outDir, ckpt);
        var evalJson = Path.Combine(outDir, "eval.json");
        Assert.Equal(0, Run("eval", "--checkpoint", ckpt, "--dataset", "mnist", "--data", dir, "--json", evalJson).Code);
        using var e = JsonDocument.Parse(File.ReadAllText(evalJson));
        Assert.Equal(acc, e.RootElement.GetProperty("test_accuracy").GetDouble());
        Assert.Equal(100, e.RootElement.GetProperty("samples").GetInt64());
    }

    [Trait("Category", "Slow")]

    [Fact]
    public void EvalOnChipsWritesAccuracyStatisticsAndPerChipList()
    {
        var dir = Synthetic.MnistDir(train: 320, test: 100);
        var outDir = Synthetic.TempDir();
        Assert.Equal(0, Run("train", "--model", "lenet5", "--dataset", "mnist", "--data", dir, "--epochs", "1", "--out", outDir).Code);
        var ckpt = Path.Combine(outDir, "lenet5.ckpt");

        var exactJson = Path.Combine(outDir, "exact.json");
        Assert.Equal(0, Run("eval", "--checkpoint", ckpt, "--dataset", "mnist", "--data", dir, "--hw", Repo.Path("configs", "ideal-exact.json"),
            "--chips", "2", "--json", exactJson).Code);
        using var e = JsonDocument.Parse(File.ReadAllText(exactJson));
        var acc = e.RootElement.GetProperty("accuracy");
        // The ideal exact core reproduces the quantized network on every chip.
        Assert.Equal(e.RootElement.GetProperty("quantized_accuracy").GetDouble(), acc.GetProperty("mean").GetDouble());
        Assert.Equal(0.0, acc.GetProperty("std").GetDouble());
        Assert.Equal(2, e.RootElement.GetProperty("per_chip").GetArrayLength());
        Assert.Equal(2, e.RootElement.GetProperty("chips").GetInt32());

        // Compensated per chip inside imc eval: on the ideal core the gain registers are the identity.
        var compensated = Path.Combine(outDir, "ideal-compensated.json");
        File.WriteAllText(compensated, File.ReadAllText(Repo.Path("configs", "ideal-exact.json")).TrimEnd().TrimEnd('}')
            + """, "compensation": { "output_gain": true, "images": 64 } }""");
        var compensatedJson = Path.Combine(outDir, "compensated.json");
        Assert.Equal(0, Run("eval", "--checkpoint", ckpt, "--dataset", "mnist", "--data", dir, "--hw", compensated,
            "--chips", "2", "--json", compensatedJson).Code);
        using (var c = JsonDocument.Parse(File.ReadAllText(compensatedJson)))
            Assert.Equal(e.RootElement.GetProperty("quantized_accuracy").GetDouble(),
                c.RootElement.GetProperty("accuracy").GetProperty("min").GetDouble());

        var noisy = Path.Combine(outDir, "noisy.json");
        File.WriteAllText(Path.Combine(outDir, "noisy-hw.json"), File.ReadAllText(Repo.Path("configs", "puma-reference.json"))
            .Replace("\"programming_sigma\": 0.02", "\"programming_sigma\": 0.3"));
        Assert.Equal(0, Run("eval", "--checkpoint", ckpt, "--dataset", "mnist", "--data", dir, "--hw", Path.Combine(outDir, "noisy-hw.json"),
            "--chips", "3", "--json", noisy).Code);
        using var n = JsonDocument.Parse(File.ReadAllText(noisy));
        var chips = n.RootElement.GetProperty("per_chip").EnumerateArray().Select(c => c.GetProperty("accuracy").GetDouble()).ToList();
        Assert.True(chips.Distinct().Count() > 1, "chips with 30% programming error should differ");
        foreach (var key in new[] { "mean", "std", "min", "p5" })
            Assert.InRange(n.RootElement.GetProperty("accuracy").GetProperty(key).GetDouble(), 0.0, 1.0);
        Assert.Equal(chips.Min(), n.RootElement.GetProperty("accuracy").GetProperty("min").GetDouble());

        var bad = Path.Combine(outDir, "bad-hw.json");
        File.WriteAllText(bad, """{"adc": {"bits": 0}}""");
        AssertOneLineError(Run("eval", "--checkpoint", ckpt, "--dataset", "mnist", "--data", dir, "--hw", bad), "adc.bits");
    }

    [Theory]
    [InlineData("ideal.json")]
    [InlineData("flash.json")]
    [InlineData("sar.json")]
    [InlineData("ramp.json")]
    [InlineData("cco.json")]
    [InlineData("vco.json")]
    [InlineData("integrator.json")]
    [InlineData("sense-amp.json")]
    public void AdcShowWritesTheContractedStatisticsForEveryShippedConfig(string file)
    {
        var dir = Synthetic.TempDir();
        var json = Path.Combine(dir, "adc.json");
        Assert.Equal(0, Run("adc", "show", Repo.Path("configs", "adc", file), "--chips", "2", "--per-chip", "8", "--out", dir, "--format", "svg", "--json", json).Code);
        using var d = JsonDocument.Parse(File.ReadAllText(json));
        Assert.Equal(16, d.RootElement.GetProperty("instances").GetInt32());
        Assert.True(d.RootElement.GetProperty("bits").GetInt32() >= 1);
        Assert.True(d.RootElement.GetProperty("inl_max_abs_lsb").GetDouble() >= 0);
        Assert.True(d.RootElement.GetProperty("dnl_max_abs_lsb").GetDouble() >= 0);
        Assert.True(d.RootElement.GetProperty("missing_codes").GetInt64() >= 0);
        Assert.True(File.Exists(Path.Combine(dir, "transfer.svg")) && File.Exists(Path.Combine(dir, "inl.svg")) && File.Exists(Path.Combine(dir, "dnl.svg")));
    }

    [Fact]
    public void AdcShowRejectsBadConfigs()
    {
        var dir = Synthetic.TempDir();
        var bad = Path.Combine(dir, "bad.json");
        File.WriteAllText(bad, """{"kind": "sar", "bits": 7, "sar": {"unit_cap_sigma": -1}}""");
        AssertOneLineError(Run("adc", "show", bad), "sar.unit_cap_sigma");
        File.WriteAllText(bad, """{"kind": "pipeline", "bits": 7}""");
        AssertOneLineError(Run("adc", "show", bad), "kind");
        AssertOneLineError(Run("adc", "show", Path.Combine(dir, "none.json")), "none.json");
    }

    [Theory]
    [InlineData("train")]
    [InlineData("eval")]
    [InlineData("demo")]
    public void EveryCommandHasHelp(string command)
    {
        Assert.Equal(0, Run(command, "--help").Code);
    }

    [Fact]
    public void NewCommandsRejectBadInputWithOneLine()
    {
        var dir = Synthetic.TempDir();
        AssertOneLineError(Run("experiment", "approx-adc", "--config", "/no/such/spec.json"), "/no/such/spec.json");
        var spec = Path.Combine(dir, "spec.json");
        File.WriteAllText(spec, """{ "models": [ { "model": "lenet5", "aware_epochs": 0 } ], "array_modes": [ { "name": "current", "hardware": "nope.json" } ] }""");
        AssertOneLineError(Run("experiment", "approx-adc", "--config", spec), "aware_epochs");
        File.WriteAllText(spec, """{ "models": [ { "model": "lenet5" } ], "array_modes": [], "colour": 1 }""");
        AssertOneLineError(Run("experiment", "approx-adc", "--config", spec), "colour");
        AssertOneLineError(Run("cost", "--model", "lenet5"), "--hw");
        AssertOneLineError(Run("cost", "--hw", Repo.Path("configs", "reference-sar8.json"), "--model", "alexnet"), "alexnet");
        AssertOneLineError(Run("sweep", "/no/such/sweep.json"), "/no/such/sweep.json");
        AssertOneLineError(Run("sweep", Repo.Path("experiments", "sweep-lenet5.json"), "--shard", "3/2"), "--shard");
        AssertOneLineError(Run("sweep", "merge", Repo.Path("experiments", "sweep-lenet5.json"), "--out", dir), "no finished points");
        AssertOneLineError(Run("train", "--hw", Repo.Path("configs", "reference-sar8.json"), "--variation", "sometimes"), "sometimes");
    }

    [Fact]
    public void CostJsonHasTheContractFields()
    {
        var json = Path.Combine(Synthetic.TempDir(), "cost.json");
        Assert.Equal(0, Run("cost", "--hw", Repo.Path("configs", "reference-sar8.json"), "--model", "lenet5", "--json", json).Code);
        using var doc = JsonDocument.Parse(File.ReadAllText(json));
        foreach (var f in new[] { "energy_per_inference_j", "area_mm2", "adc_energy_share", "adc_area_share" })
            Assert.True(doc.RootElement.GetProperty(f).GetDouble() > 0, f);
        Assert.InRange(doc.RootElement.GetProperty("adc_energy_share").GetDouble(), 0.85, 1.0);
    }

    [Trait("Category", "Slow")]

    [Fact]
    public void AdcShowGeneratesAPopulationWithTheConfiguredCornersAndLocalSpread()
    {
        var dir = Synthetic.TempDir();
        var popPath = Path.Combine(dir, "cco.population.json");
        var json = Path.Combine(dir, "stats.json");
        var r = Run("adc", "show", Repo.Path("experiments", "hw", "current-rram-cco-realistic.json"), "--chips", "5", "--per-chip", "200",
            "--out", dir, "--format", "png", "--save-population", popPath, "--json", json);
        Assert.Equal(0, r.Code);
        using var pop = ImcSharp.Converters.PopulationFile.Load(popPath);
        Assert.Equal(new[] { "Nom", "C0", "C1", "C2", "C3" }, pop.CornerNames);
        Assert.Equal("A", pop.Info!.Units);
        Assert.Equal(10e-6, pop.Info.InputMax);
        var lin = ImcSharp.Converters.Characterization.Measure(pop);
        var gain = lin.GainError.data<double>().ToArray();
        double Mean(int corner) => Enumerable.Range(0, 200).Average(i => gain[corner * 200 + i]);
        // Corner C3 (-7% gain) against Nom, the compression of f_max alike in both; C0 (+2.85%) the other way.
        Assert.InRange(Mean(4) - Mean(0), -0.075, -0.065);
        Assert.InRange(Mean(1) - Mean(0), 0.023, 0.033);
        // Local gain spread: sd 1.75% configured, measured from end-point slopes within a corner.
        double sd = Math.Sqrt(Enumerable.Range(0, 200).Select(i => gain[i] - Mean(0)).Select(d => d * d).Sum() / 199);
        Assert.InRange(sd, 0.014, 0.021);
        using var doc = JsonDocument.Parse(File.ReadAllText(json));
        Assert.Equal(5, doc.RootElement.GetProperty("corners").GetInt32());
    }

    /// <summary>
    /// No output may be an input (the same path, a symbolic link, a hard link) or another output:
    /// one error line, exit 2, and the input file as it was. Covers import's --out on the model,
    /// adc show's --json and --save-population on its config, adc import's population on its CSV,
    /// train's checkpoint on its --init, eval's --results on its checkpoint, sweep's --json on its spec.
    /// </summary>
    [Fact]
    public void NoOutputOverwritesAnInput()
    {
        var dir = Synthetic.TempDir();
        string In(string name, string text) { var p = Path.Combine(dir, name); File.WriteAllText(p, text); return p; }
        var cfg = In("cfg.json", File.ReadAllText(Repo.Path("configs", "ideal-exact.json")));
        var symlink = Path.Combine(dir, "link.json");
        File.CreateSymbolicLink(symlink, cfg);
        var model = In("model.onnx", "not a model");
        var csv = In("curves.csv", "input,code\n0,0\n1,1\n");
        var spec = In("spec.json", """{ "file": "curves.csv", "input": "input", "outputs": ["code"], "bits": 1, "output_population": "curves.csv" }""");
        var init = In("lenet5-aware.ckpt", "a checkpoint");
        var sweep = In("sweep.json", "{}");
        var cases = new (string[] Args, string Input, string Message)[]
        {
            (new[] { "import", model, "--out", model }, model, "--out"),
            (new[] { "adc", "show", cfg, "--json", cfg }, cfg, "--json"),
            (new[] { "adc", "show", cfg, "--save-population", symlink }, cfg, "--save-population"),
            (new[] { "adc", "show", cfg, "--json", Path.Combine(dir, "a.json"), "--save-population", Path.Combine(dir, ".", "a.json") }, cfg, "same file"),
            (new[] { "adc", "import", spec }, csv, "output_population"),
            (new[] { "train", "--hw", cfg, "--init", init, "--model", "lenet5", "--out", dir }, init, "--init"),
            (new[] { "eval", "--checkpoint", init, "--results", init }, init, "--results"),
            (new[] { "sweep", sweep, "--json", sweep }, sweep, "--json"),
        };
        if (OperatingSystem.IsLinux())
        {
            var hard = Path.Combine(dir, "hard.json");
            using (var ln = System.Diagnostics.Process.Start("ln", new[] { cfg, hard })) { ln.WaitForExit(); Assert.Equal(0, ln.ExitCode); }
            cases = cases.Append((new[] { "adc", "show", cfg, "--json", hard }, cfg, "--json")).ToArray();
        }
        foreach (var (args, input, message) in cases)
        {
            var before = File.ReadAllBytes(input);
            var r = Run(args);
            AssertOneLineError(r, message);
            Assert.Contains(message == "same file" ? "each output needs its own" : "is the input", r.Err);
            Assert.Equal(before, File.ReadAllBytes(input));
        }
    }
}
