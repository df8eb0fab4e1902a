using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using TorchSharp;
using static TorchSharp.torch;

namespace ImcSharp.Crossbar;

/// <summary>
/// The read-noise stream of one programmed layer: standard normal draws z(n) indexed by a running
/// counter n, so each read of the layer takes the next block of the stream. Counter-based: draw n
/// is a pure function of (key, n), z(n) = Ziggurat(SplitMix64(key + n phi)), so any split of a
/// block over threads gives the same numbers, and the same chip and inputs the same noise.
/// Ziggurat: Marsaglia and Tsang (2000), 128 layers, with the layer index and the 32-bit value
/// from separate halves of each 64-bit draw (independent, unlike the original SHR3 form).
/// </summary>
public sealed class ReadNoiseStream(ulong key)
{
    long _next;

    /// <summary>Draws taken so far.</summary>
    public long Position => Interlocked.Read(ref _next);

    /// <summary>
    /// In place: p += sqrt(v) z for the next numel(p) draws z of the stream, in memory order;
    /// <paramref name="variance"/> (same shape) holds each element's noise variance (>= 0).
    /// The physics: independent per-read cell noise on a bit line sums to N(0, sum_r x_r^2 sigma_r^2).
    /// Where <paramref name="target"/> uses kernels (default: the CPU's): one pass over CPU memory.
    /// Otherwise (any device): the scaled draws sqrt(v) z are made on the CPU, moved and added by a
    /// tensor operation, with the same rounding, so the same numbers. Not torch's sqrt: on the CPU
    /// it may go through a vector math library that is 1 ulp off on some processors (AMD Zen 5).
    /// </summary>
    public void AddScaled(Tensor p, Tensor variance, ComputeTarget? target = null)
    {
        if (p.dtype != ScalarType.Float32 || !p.is_contiguous())
            throw new ArgumentException($"read noise: expected a contiguous float32 tensor, got {p.dtype}");
        long n = p.numel();
        long start = Interlocked.Add(ref _next, n) - n;
        if (n == 0) return;
        if ((target ?? ComputeTarget.Cpu).UsesKernels && p.device_type == DeviceType.CPU)
        {
            using var v = variance.to_type(ScalarType.Float32).expand(p.Sizes()).contiguous();
            Gaussian.AddScaled(p, v, key, start);
            return;
        }
        using var scope = NewDisposeScope();
        var noise = zeros(p.Sizes());
        Gaussian.AddScaled(noise, variance.to_type(ScalarType.Float32).cpu().expand(p.Sizes()).contiguous(), key,
            start);
        p.add_(noise.to(p.device));
    }
}

/// <summary>
/// The counter-based standard normal generator behind <see cref="ReadNoiseStream"/>. Draw n of
/// stream key: within each 2^32-draw segment, h = lowbias32(k_seg + n phi32) with the segment's key
/// k_seg = SplitMix64(key + (n >> 32) phi64); the ziggurat takes its layer from h's low 7 bits and
/// its signed 25-bit value from the rest. Retries (wedges and tail, about 1.2% of draws) take
/// further hashes of (k_seg, n, retry). Vectorized 8 draws at a time (AVX2); the scalar form gives
/// the same floats.
/// </summary>
internal static unsafe class Gaussian
{
    const int Layers = 128;
    const double R = 3.442619855899;                 // start of the tail
    const double V = 9.91256303526217e-3;            // area of each layer
    const double Scale = 1 << 24;                    // |hz| < 2^24
    static readonly int[] Kn = new int[Layers];
    static readonly float[] Wn = new float[Layers];
    static readonly double[] Fn = new double[Layers];

    static Gaussian()
    {
        double dn = R, tn = R, q = V / Math.Exp(-0.5 * dn * dn);
        Kn[0] = (int)(dn / q * Scale);
        Kn[1] = 0;
        Wn[0] = (float)(q / Scale);
        Wn[Layers - 1] = (float)(dn / Scale);
        Fn[0] = 1;
        Fn[Layers - 1] = Math.Exp(-0.5 * dn * dn);
        for (int i = Layers - 2; i >= 1; i--)
        {
            dn = Math.Sqrt(-2 * Math.Log(V / dn + Math.Exp(-0.5 * dn * dn)));
            Kn[i + 1] = (int)(dn / tn * Scale);
            tn = dn;
            Fn[i] = Math.Exp(-0.5 * dn * dn);
            Wn[i] = (float)(dn / Scale);
        }
    }

    const uint Phi32 = 0x9E3779B9u;

    /// <summary>The key of the 2^32-draw segment holding draw n.</summary>
    internal static uint SegmentKey(ulong key, ulong n)
    {
        ulong x = unchecked(key + (n >> 32) * 0x9E3779B97F4A7C15UL);
        x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9UL;
        x = (x ^ (x >> 27)) * 0x94D049BB133111EBUL;
        return (uint)(x ^ (x >> 31));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static uint Hash(uint x)
    {
        x ^= x >> 16;
        x *= 0x7FEB352Du;
        x ^= x >> 15;
        x *= 0x846CA68Bu;
        return x ^ (x >> 16);
    }

    /// <summary>Draw with counter low word <paramref name="n"/> in segment <paramref name="k"/>.</summary>
    public static float Draw(uint k, uint n)
    {
        uint h = Hash(unchecked(k + n * Phi32));
        int iz = (int)(h & (Layers - 1)), hz = (int)h >> 7;
        if (Math.Abs(hz) < Kn[iz]) return hz * Wn[iz];
        return Slow(k, n, hz, iz);
    }

    /// <summary>The rejection steps: the wedges and the tail beyond R.</summary>
    static float Slow(uint k, uint n, int hz, int iz)
    {
        uint retry = 0;
        uint Next() => Hash(Hash(unchecked(k + n * Phi32)) ^ unchecked(++retry * 0x85EBCA6Bu));
        // in (0, 1)
        double Uniform() => ((ulong)Next() << 21 ^ Next() >> 11) * (1.0 / (1UL << 53)) + 0.5 / (1UL << 53);
        for (;;)
        {
            double x = hz * (double)Wn[iz];
            if (iz == 0)
            {
                double y;
                do
                {
                    x = -Math.Log(Uniform()) / R;
                    y = -Math.Log(Uniform());
                } while (y + y < x * x);
                return (float)(hz > 0 ? R + x : -R - x);
            }
            if (Fn[iz] + Uniform() * (Fn[iz - 1] - Fn[iz]) < Math.Exp(-0.5 * x * x)) return (float)x;
            uint h = Next();
            iz = (int)(h & (Layers - 1));
            hz = (int)h >> 7;
            if (Math.Abs(hz) < Kn[iz]) return hz * Wn[iz];
        }
    }

    /// <summary>
    /// Elements per task (a power of two, so no task crosses a 2^32-draw segment unless its start does).
    /// </summary>
    const long Block = 1 << 14;

    /// <summary>
    /// p[i] += sqrt(v[i]) z(start + i) over contiguous float32 p and v, split over libtorch's threads.
    /// </summary>
    public static void AddScaled(Tensor p, Tensor v, ulong key, long start)
    {
        long n = p.numel();
        nint pp = (nint)NativeData.Pointer(p), vp = (nint)NativeData.Pointer(v);
        long tasks = (n + Block - 1) / Block;
        TorchThreads.For(tasks, Math.Max(1, Math.Min(get_num_threads(), (int)Math.Min(int.MaxValue, tasks))),
            t => Run((float*)pp, (float*)vp, t * Block, Math.Min(n, (t + 1) * Block), key, start));
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    static void Run(float* x, float* variance, long i0, long i1, ulong key, long start)
    {
        long i = i0;
        while (i < i1)
        {
            // Draws of one segment at a time: the segment key is constant inside.
            ulong first = (ulong)(start + i);
            long end = Math.Min(i1, i + (long)Math.Min((ulong)(i1 - i), (1UL << 32) - (first & 0xFFFFFFFF)));
            uint k = SegmentKey(key, first), n0 = (uint)first;
            long j = i;
            if (System.Runtime.Intrinsics.X86.Avx2.IsSupported) j = Vector(x, variance, i, end, k, n0);
            for (; j < end; j++) x[j] += MathF.Sqrt(variance[j]) * Draw(k, unchecked(n0 + (uint)(j - i)));
            i = end;
        }
    }

    /// <summary>
    /// Eight draws at a time while all eight take the fast path; returns where it stopped (a multiple of 8 from
    /// <paramref name="i0"/>).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    static long Vector(float* x, float* variance, long i0, long i1, uint k, uint n0)
    {
        var lane = Vector256.Create(0u, 1, 2, 3, 4, 5, 6, 7);
        var phi = Vector256.Create(Phi32);
        var low7 = Vector256.Create(Layers - 1);
        var s = stackalloc float[8];
        fixed (int* kn = Kn)
        fixed (float* wn = Wn)
        {
            long j = i0;
            for (; j + 8 <= i1; j += 8)
            {
                var c = Avx2.Add(Vector256.Create(unchecked(n0 + (uint)(j - i0))), lane);
                var h = Avx2.Add(Vector256.Create(k), Avx2.MultiplyLow(c, phi));
                h = Avx2.Xor(h, Avx2.ShiftRightLogical(h, 16));
                h = Avx2.MultiplyLow(h, Vector256.Create(0x7FEB352Du));
                h = Avx2.Xor(h, Avx2.ShiftRightLogical(h, 15));
                h = Avx2.MultiplyLow(h, Vector256.Create(0x846CA68Bu));
                h = Avx2.Xor(h, Avx2.ShiftRightLogical(h, 16));
                var iz = Avx2.And(h.AsInt32(), low7);
                var hz = Avx2.ShiftRightArithmetic(h.AsInt32(), 7);
                var fast = Avx2.CompareGreaterThan(Avx2.GatherVector256(kn, iz, 4), Avx2.Abs(hz).AsInt32());
                var z = Avx.Multiply(Avx.ConvertToVector256Single(hz), Avx2.GatherVector256(wn, iz, 4));
                int mask = Avx.MoveMask(fast.AsSingle());
                if (mask != 0xFF)
                {
                    // Only the lanes outside the fast path (about 1.2% of draws) take the scalar rejection steps.
                    Avx.Store(s, z);
                    for (int l = 0; l < 8; l++)
                        if ((mask & (1 << l)) == 0) s[l] = Draw(k, unchecked(n0 + (uint)(j - i0) + (uint)l));
                    z = Avx.LoadVector256(s);
                }
                var y = Avx.Add(Avx.LoadVector256(x + j), Avx.Multiply(Avx.Sqrt(Avx.LoadVector256(variance + j)), z));
                Avx.Store(x + j, y);
            }
            return j;
        }
    }
}
