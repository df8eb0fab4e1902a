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
}
