using System.Diagnostics;
using System.Text.Json;
using ImcSharp.Tests.BadInputs;

namespace ImcSharp.Tests.Reliability;

/// <summary>
/// The native fast paths have fallbacks: loops on .NET threads instead of libtorch's OpenMP team
/// (IMC_TORCH_THREADS=0), glibc's default allocator (IMC_MALLOC_TUNING=0), the sorted search
/// instead of the AVX2 threshold kernel (no AVX2: DOTNET_EnableAVX2=0). Each runs in a child
/// `imc` process on a design with threshold-table ADCs and gives the same chips as the fast path.
/// </summary>
[Trait("Category", "Slow")]
public class FallbackTests
{
    static (int Code, string Output) Imc(IDictionary<string, string> env, params string[] args)
    {
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        psi.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "imc.dll"));
        foreach (var a in args) psi.ArgumentList.Add(a);
        foreach (var (k, v) in env) psi.Environment[k] = v;
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEnd();
        p.WaitForExit();
        return (p.ExitCode, stdout.Result + stderr);
    }

    [Fact]
    public void EveryFallbackGivesTheSameChipsAsTheFastPath()
    {
        var data = Synthetic.MnistDir(train: 256, test: 128);
        var dir = Synthetic.TempDir();
        Assert.Equal(0, BadInputCorpusTests.Run("train", "--model", "mlp", "--dataset", "mnist", "--data", data, "--epochs", "1", "--out", dir).Code);
        List<double> Chips(string name, Dictionary<string, string> env)
        {
            var json = Path.Combine(dir, name + ".json");
            var (code, output) = Imc(env, "eval", "--checkpoint", Path.Combine(dir, "mlp.ckpt"), "--dataset", "mnist", "--data", data,
                "--hw", Repo.Path("experiments", "hw", "current-rram-cco.json"), "--chips", "2", "--calibration-images", "128", "--json", json);
            Assert.True(code == 0, $"{name}: {output}");
            using var doc = JsonDocument.Parse(File.ReadAllText(json));
            return doc.RootElement.GetProperty("per_chip").EnumerateArray().Select(c => c.GetProperty("accuracy").GetDouble()).ToList();
        }
        var fast = Chips("fast", new());
        Assert.Equal(fast, Chips("dotnet-threads", new() { ["IMC_TORCH_THREADS"] = "0" }));
        Assert.Equal(fast, Chips("glibc-defaults", new() { ["IMC_MALLOC_TUNING"] = "0" }));
        Assert.Equal(fast, Chips("no-avx2", new() { ["DOTNET_EnableAVX2"] = "0" }));
    }

    [Fact]
    public void LowMemoryFreesConvolutionPrimitivesAndGivesTheSameChips()
    {
        var data = Synthetic.MnistDir(train: 256, test: 64);
        var dir = Synthetic.TempDir();
        Assert.Equal(0, BadInputCorpusTests.Run("train", "--model", "lenet5", "--dataset", "mnist", "--data", data, "--epochs", "1", "--out", dir).Code);
        // oneDNN says for each primitive it builds whether its cache had it.
        (List<double> Chips, string Log) Eval(string name, params string[] extra)
        {
            var json = Path.Combine(dir, name + ".json");
            var (code, output) = Imc(new Dictionary<string, string> { ["ONEDNN_VERBOSE"] = "2" }, new[] { "eval", "--checkpoint", Path.Combine(dir, "lenet5.ckpt"),
                "--dataset", "mnist", "--data", data, "--hw", Repo.Path("experiments", "hw", "current-rram-cco.json"), "--chips", "2",
                "--calibration-images", "64", "--json", json }.Concat(extra).ToArray());
            Assert.True(code == 0, $"{name}: {output}");
            using var doc = JsonDocument.Parse(File.ReadAllText(json));
            return (doc.RootElement.GetProperty("per_chip").EnumerateArray().Select(c => c.GetProperty("accuracy").GetDouble()).ToList(), output);
        }
        var cached = Eval("cached");
        var low = Eval("low-memory", "--low-memory");
        Assert.Equal(cached.Chips, low.Chips);
        Assert.Contains("create:cache_hit", cached.Log);
        Assert.Contains("create:cache_miss", low.Log);
        Assert.DoesNotContain("create:cache_hit", low.Log);
    }
}
