using ImcSharp.Data;

namespace ImcSharp.Tests.Data;

/// <summary>
/// The real dataset from the Debian package dataset-fashion-mnist (CI installs it). Where it is
/// not installed this fails with the install command in its message.
/// </summary>
public class FashionMnistTests
{
    [Fact]
    public void LoadsFullSplitsWithBalancedLabels()
    {
        using var train = DatasetCatalog.Load("fashion-mnist", null, Split.Train);
        using var test = DatasetCatalog.Load("fashion-mnist", null, Split.Test);
        Assert.Equal(new long[] { 60000, 1, 28, 28 }, train.Images.shape);
        Assert.Equal(new long[] { 10000, 1, 28, 28 }, test.Images.shape);
        var counts = TorchSharp.torch.bincount(test.Labels).data<long>().ToArray();
        Assert.All(counts, c => Assert.Equal(1000, c));
        var norm = train.ComputeNormalization();
        Assert.Equal(0.2860, norm.Mean[0], 3);   // published Fashion-MNIST statistics
        Assert.Equal(0.3530, norm.Std[0], 3);
    }
}
