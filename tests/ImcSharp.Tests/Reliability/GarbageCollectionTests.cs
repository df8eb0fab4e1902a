using System.Runtime;
using System.Text.Json;

namespace ImcSharp.Tests.Reliability;

/// <summary>
/// TorchSharp lets a temporary Scalar die while libtorch still reads its handle; a background
/// collection running beside that call can finalize it (Directory.Build.props). Every program the
/// repository builds must collect in blocking mode only.
/// </summary>
public class GarbageCollectionTests
{
    [Fact]
    public void TheTestHostCollectsWithoutBackgroundCollections() =>
        Assert.Equal(GCLatencyMode.Batch, GCSettings.LatencyMode);

    [Fact]
    public void TheCliIsConfiguredWithoutBackgroundCollections()
    {
        var config = Path.Combine(AppContext.BaseDirectory, "imc.runtimeconfig.json");
        using var doc = JsonDocument.Parse(File.ReadAllText(config));
        Assert.False(doc.RootElement.GetProperty("runtimeOptions").GetProperty("configProperties").GetProperty("System.GC.Concurrent").GetBoolean());
    }

    /// <summary>
    /// The library reads tensor sizes and strides with TensorSizes (one dimension at a time), not
    /// TorchSharp's shape and stride(), whose buffers only a finalizer frees: hundreds of them a
    /// training step made most of its collections' cost. Code lines only; comments may say shape.
    /// </summary>
    [Fact]
    public void TheLibraryReadsSizesWithoutFinalizableBuffers()
    {
        var offenders = Directory.EnumerateFiles(Repo.Path("src/ImcSharp"), "*.cs", SearchOption.AllDirectories)
            .Where(f => !f.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}"))
            .SelectMany(f => File.ReadLines(f).Select((line, i) => (File: Path.GetFileName(f), Line: i + 1, Text: line.Trim())))
            .Where(l => !l.Text.StartsWith("//") && System.Text.RegularExpressions.Regex.IsMatch(l.Text, @"\.shape\b|\.stride\(\)"))
            .Select(l => $"{l.File}:{l.Line}: {l.Text}").ToList();
        Assert.True(offenders.Count == 0, string.Join("\n", offenders));
    }
}
