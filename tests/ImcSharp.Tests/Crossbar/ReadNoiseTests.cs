using ImcSharp.Crossbar;
using TorchSharp;
using static TorchSharp.torch;

namespace ImcSharp.Tests.Crossbar;

/// <summary>The read-noise stream draws standard normals, reproducibly, whatever the split and thread count.</summary>
public class ReadNoiseTests
{
    static Tensor Draws(ReadNoiseStream s, long n, double variance = 1)
    {
        var p = zeros(n);
        s.AddScaled(p, full(n, variance));
        return p;
    }

    /// <summary>Standard normal CDF (Abramowitz and Stegun 7.1.26 for erf, |error| &lt; 1.5e-7).</summary>
    static double Phi(double x)
    {
        double z = Math.Abs(x) / Math.Sqrt(2), t = 1 / (1 + 0.3275911 * z);
        double erf = 1 - ((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t * Math.Exp(-z * z);
        return 0.5 * (1 + Math.Sign(x) * erf);
    }

    [Fact]
    public void DrawsAreStandardNormal()
    {
        using var scope = NewDisposeScope();
        const long n = 2_000_000;
        var z = Draws(new ReadNoiseStream(12345), n).to_type(ScalarType.Float64);
        Assert.InRange(z.mean().item<double>(), -0.004, 0.004);
        Assert.InRange(z.var().item<double>(), 0.996, 1.004);
        // Tails, both wedges and the tail beyond the ziggurat's base (3.44).
        foreach (var (at, expected) in new[] { (1.0, 0.3173105), (2.0, 0.0455003), (3.0, 0.0026998), (3.5, 4.6527e-4), (4.0, 6.334e-5) })
        {
            double measured = z.abs().gt(at).to_type(ScalarType.Float64).mean().item<double>();
            double sd = Math.Sqrt(expected * (1 - expected) / n);
            Assert.True(Math.Abs(measured - expected) < 5 * sd, $"P(|z| > {at}) = {measured}, expected {expected} (sd {sd})");
        }
        // Kolmogorov-Smirnov on a grid: the 1% critical value for 2M draws is 1.63 / sqrt(n) = 0.00115.
        var sorted = z.sort().Values;
        double ks = 0;
        for (double x = -4; x <= 4; x += 0.05)
        {
            double empirical = searchsorted(sorted, tensor(new[] { x }), right: true).item<long>() / (double)n;
            ks = Math.Max(ks, Math.Abs(empirical - Phi(x)));
        }
        Assert.True(ks < 0.00115, $"KS distance {ks}");
        // Neighbouring draws are uncorrelated.
        double r = (z.narrow(0, 0, n - 1) * z.narrow(0, 1, n - 1)).mean().item<double>();
        Assert.InRange(r, -0.004, 0.004);
    }

    [Fact]
    public void TheStreamContinuesAcrossCallsAndThreadCounts()
    {
        using var scope = NewDisposeScope();
        var whole = Draws(new ReadNoiseStream(7), 100_003);
        var split = new ReadNoiseStream(7);
        var parts = cat(new[] { Draws(split, 40_000), Draws(split, 60_003) });
        Assert.Equal(100_003, split.Position);
        Assert.True(TensorAssert.Same(whole, parts), "a stream read in two calls differs from one call");
        int threads = get_num_threads();
        try
        {
            set_num_threads(1);
            Assert.True(TensorAssert.Same(whole, Draws(new ReadNoiseStream(7), 100_003)), "one thread differs from several");
        }
        finally { set_num_threads(threads); }
        Assert.False(TensorAssert.Same(whole, Draws(new ReadNoiseStream(8), 100_003)), "another key gave the same draws");
    }

    [Fact]
    public void NoiseScalesWithTheStandardDeviationAndAddsToTheSums()
    {
        using var scope = NewDisposeScope();
        var unit = Draws(new ReadNoiseStream(3), 10_000);
        var p = full(10_000, 5f);
        new ReadNoiseStream(3).AddScaled(p, full(10_000, 0.25));
        Assert.True(allclose(p, unit * 0.5 + 5, rtol: 1e-6, atol: 1e-6));
        var quiet = full(100, 2f);
        new ReadNoiseStream(3).AddScaled(quiet, zeros(100));
        Assert.True(TensorAssert.Same(quiet, full(100, 2f)), "zero variance must add nothing");
    }

    /// <summary>The reference (draws, then tensor operations) adds exactly the fused pass's noise, from the same position.</summary>
    [Fact]
    public void TheReferenceAddsTheFusedPassesNoiseBitForBit()
    {
        using var scope = NewDisposeScope();
        var variance = rand(3, 1000, generator: new Generator(5)).mul_(4);
        var (fused, reference) = (full(new long[] { 3, 1000 }, 1.5f), full(new long[] { 3, 1000 }, 1.5f));
        var (a, b) = (new ReadNoiseStream(9), new ReadNoiseStream(9));
        a.AddScaled(zeros(77), zeros(77), ComputeTarget.Cpu);
        b.AddScaled(zeros(77), zeros(77), ComputeTarget.Reference);
        a.AddScaled(fused, variance, ComputeTarget.Cpu);
        b.AddScaled(reference, variance, ComputeTarget.Reference);
        Assert.True(TensorAssert.Same(fused, reference));
        Assert.False(TensorAssert.Same(fused, full(new long[] { 3, 1000 }, 1.5f)), "no noise was added");
    }

    [Fact]
    public void DrawsAcrossA32BitSegmentBoundaryDoNotRepeat()
    {
        using var scope = NewDisposeScope();
        var before = zeros(4096);
        var after = zeros(4096);
        Gaussian.AddScaled(before, ones(4096), 99, (1L << 32) - 2048);
        Gaussian.AddScaled(after, ones(4096), 99, (2L << 32) - 2048);
        // Each run crosses a segment boundary half way; the segments' draws are distinct.
        Assert.False(TensorAssert.Same(before, after));
        Assert.True(before.narrow(0, 2048, 2048).ne(before.narrow(0, 0, 2048)).all().item<bool>());
        Assert.InRange(cat(new[] { before, after }).var().item<float>(), 0.9, 1.1);
    }

    /// <summary>
    /// The vectorized pass (8 lanes, AVX2; the scalar form where the CPU has none) adds
    /// exactly the scalar form's draws, sqrt(v) z(n) with z(n) = Draw(segment key, n), element by
    /// element; starting mid-vector and across a segment boundary, with lanes taking the slow path.
    /// </summary>
    [Theory]
    [InlineData(0L)]
    [InlineData(13L)]
    [InlineData((1L << 32) - 1000)]
    public void VectorPassesGiveTheScalarDraws(long start)
    {
        using var scope = NewDisposeScope();
        const int n = 20_011;
        const ulong key = 4242;
        var variance = rand(n, generator: new Generator(3)).mul_(9);
        var p = full(n, 0.5f);
        Gaussian.AddScaled(p, variance, key, start);
        var v = variance.data<float>().ToArray();
        var expected = new float[n];
        int tail = 0;
        for (int i = 0; i < n; i++)
        {
            ulong c = (ulong)(start + i);
            float z = Gaussian.Draw(Gaussian.SegmentKey(key, c), (uint)c);
            expected[i] = 0.5f + MathF.Sqrt(v[i]) * z;
            if (Math.Abs(z) > 3.4426) tail++;
        }
        Assert.True(TensorAssert.Same(p, tensor(expected)));
        Assert.True(tail > 0, "no draw reached the ziggurat's tail");
    }
}
