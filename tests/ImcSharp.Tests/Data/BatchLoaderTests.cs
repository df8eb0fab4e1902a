using ImcSharp.Data;
using static TorchSharp.torch;

namespace ImcSharp.Tests.Data;

public class BatchLoaderTests
{
    static ImageSet Set(int n)
    {
        var px = Enumerable.Range(0, n * 4).Select(i => (byte)(i % 251)).ToArray();
        return new ImageSet("t", tensor(px).view(n, 1, 2, 2), tensor(Enumerable.Range(0, n).Select(i => (long)i).ToArray()), n);
    }

    [Fact]
    public void ShuffleIsAPermutationFixedBySeedAndEpoch()
    {
        using var set = Set(103);
        var loader = new BatchLoader(set, new Normalization(new[] { 0f }, new[] { 1f }), 10);
        long[] Order(long seed, int epoch) => loader.Epoch(seed, epoch, true).SelectMany(b => b.Y.data<long>().ToArray()).ToArray();
        var a = Order(3, 0);
        Assert.Equal(Enumerable.Range(0, 103).Select(i => (long)i), a.OrderBy(x => x));
        Assert.Equal(a, Order(3, 0));
        Assert.NotEqual(a, Order(3, 1));
        Assert.NotEqual(a, Order(4, 0));
        Assert.Equal(11, loader.BatchCount);
    }

    [Fact]
    public void ScopedBatchesAreFreedWhenTheNextIsDrawnAndNoneLeaveTheLoop()
    {
        using var set = Set(25);
        var loader = new BatchLoader(set, new Normalization(new[] { 0f }, new[] { 1f }), 10);
        var seen = new List<Tensor>();
        foreach (var (x, y) in BatchLoader.Scoped(loader.Epoch(1, 0, shuffle: true)))
        {
            Assert.All(seen, t => Assert.True(t.IsInvalid));   // every earlier batch is freed already
            Assert.False(x.IsInvalid);
            seen.Add(x);
            seen.Add(y);
        }
        Assert.Equal(6, seen.Count);
        Assert.All(seen, t => Assert.True(t.IsInvalid));

        // Leaving early frees the batch in hand too.
        var first = BatchLoader.Scoped(loader.Epoch(1, 0, shuffle: false)).First().X;
        Assert.True(first.IsInvalid);
    }

    [Fact]
    public void EvaluationLeavesNoTensorOutsideAScope()
    {
        using var set = Set(130);
        var model = new ImcSharp.Models.Mlp(4, new[] { 8 }, 130);
        var stats = TorchSharp.DisposeScopeManager.Statistics;
        stats.Reset();
        ImcSharp.Training.Evaluator.Evaluate(model, set, new Normalization(new[] { 0f }, new[] { 1f }), batchSize: 50);
        Assert.Equal(0, stats.CreatedOutsideScopeCount);
        Assert.Equal(stats.CreatedInScopeCount, stats.DisposedInScopeCount);
    }

    [Fact]
    public void NormalizationIsPerChannelAffine()
    {
        using var set = Set(4);
        var norm = set.ComputeNormalization();
        var x = norm.Apply(set.Images);
        Assert.Equal(0.0, x.mean().item<float>(), 4);
        Assert.Equal(1.0, x.std().item<float>(), 3);
        var manual = (set.Images[1, 0, 1, 0].item<byte>() / 255f - norm.Mean[0]) / norm.Std[0];
        Assert.Equal(manual, x[1, 0, 1, 0].item<float>(), 5);
    }
}
