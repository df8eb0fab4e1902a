using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using TorchSharp;
using static TorchSharp.torch;

namespace ImcSharp.Converters;

/// <summary>The straight-through estimator used for an ADC in the backward pass.</summary>
public enum AdcGradient
{
    /// <summary>
    /// d code / d input = 1 inside the ADC's input range, 0 outside (clipped values get no gradient).
    /// </summary>
    Identity,
    /// <summary>The local slope of the population's mean transfer curve (codes per LSB), 0 outside the range.</summary>
    MeanSlope,
}

/// <summary>
/// Slope tables for the ADC's straight-through estimator, on the unipolar LSB grid
/// u_j = j - 1 (j = 0 .. 2^N + 1; u = input / LSB - low code): entry j is the gradient for
/// inputs that round to u_j. Both end entries are 0 (outside the range).
/// Identity: 1 for 0 &lt;= u_j &lt;= 2^N - 1. Mean slope: s_j = (c(u_j + h) - c(u_j - h)) / 2h with
/// c(u) the mean over instances of code(u) = #(thresholds &lt;= u) and h = 2 LSB, which smooths
/// the per-code DNL into the curve's local gain (compressive curves get slopes below 1).
/// </summary>
public static class AdcSlope
{
    const double Half = 2.0;

    public static Tensor Table(int bits, AdcGradient mode, Tensor? sortedThresholds = null)
    {
        using var scope = NewDisposeScope();
        long codes = 1L << bits;
        var u = arange(-1, codes + 1, ScalarType.Float64);
        Tensor table;
        if (mode == AdcGradient.Identity)
        {
            table = u.ge(0).logical_and(u.le(codes - 1)).to_type(ScalarType.Float64);
        }
        else
        {
            var t = sortedThresholds ?? AdcModels.Ideal(bits).unsqueeze(0);
            Tensor MeanCode(Tensor at) =>
                searchsorted(t.contiguous(), at.unsqueeze(0).expand(t.size(0), -1).contiguous(), right: true)
                    .to_type(ScalarType.Float64).mean(new long[] { 0 });
            table = (MeanCode(u + Half) - MeanCode(u - Half)) / (2 * Half);
            table[0] = 0;
            table[-1] = 0;
        }
        return table.to_type(ScalarType.Float32).DetachFromDisposeScope();
    }

    /// <summary>
    /// Gradient gate for values <paramref name="lsbUnits"/> [.., J] (column LSBs) of ADCs whose code 0
    /// sits at <paramref name="lowCodes"/> (per column of the last axis, or one for all):
    /// table[clamp(round(x - low + 1), 0, last)] (ties to even). Where <paramref name="target"/> uses
    /// kernels: in one pass on the CPU (<see cref="SlopeLookupKernel"/>, the same numbers) where it applies;
    /// otherwise torch's operations.
    /// </summary>
    public static Tensor Lookup(Tensor table, Tensor lsbUnits, double[] lowCodes, ComputeTarget? target = null)
    {
        long last = table.size(0) - 1;
        bool uniform = lowCodes.Distinct().Count() == 1;
        if (target?.UsesKernels == true && table.device_type == DeviceType.CPU && lsbUnits.is_contiguous()
            && DenseKernel.Applies(lsbUnits) && SlopeLookupKernel.Supported)
            return SlopeLookupKernel.Lookup(table, lsbUnits, uniform ? new[] { (float)(lowCodes[0] - 1) }
                : lowCodes.Select(v => (float)(v - 1)).ToArray());
        var shifted = uniform ? lsbUnits.sub(lowCodes[0] - 1)
            : lsbUnits.sub(tensor(lowCodes.Select(v => (float)(v - 1)).ToArray(), device: lsbUnits.device));
        // A NaN sum (a diverged network) takes entry 0, no gradient, as in the kernel: not an index out of range.
        return table.to(lsbUnits.device)
            .take(shifted.round_().nan_to_num_(0).clamp_(0, last).to_type(ScalarType.Int64));
    }
}

/// <summary>
/// <see cref="AdcSlope.Lookup"/> in one pass over contiguous float32 values [.., J]:
///   g = table[(int) min(max(round_half_even(x - c_j), 0), last)],
/// the same float32 subtraction, rounding and clip as torch's sub, round_ and clamp_, so the same
/// entries bit for bit (<c>Converters/SlopeLookupTests</c>), without the int64 index tensor and
/// the four passes and copies torch makes. Blocks split over libtorch's OpenMP team. A NaN sum
/// (a diverged network) gets entry 0, no gradient, where torch's index would be out of range:
/// the lower clip takes the x86 maximum, which returns its second operand for a NaN.
/// </summary>
internal static unsafe class SlopeLookupKernel
{
    public static bool Supported => Avx2.IsSupported;

    /// <param name="shift">c_j = low code - 1: one value for all columns, or one per column (the last axis).</param>
    public static Tensor Lookup(Tensor table, Tensor x, float[] shift)
    {
        var entries = table.to_type(ScalarType.Float32).contiguous().data<float>().ToArray();
        var result = empty_like(x);
        float* src = DenseKernel.Data(x), dst = DenseKernel.Data(result);
        long n = x.numel();
        int columns = shift.Length == 1 ? 1 : (int)x.Sizes()[^1];
        if (shift.Length != 1
            && shift.Length != columns) throw new ArgumentException(
            $"slope lookup: {shift.Length} low codes for {columns} columns");
        // Blocks of whole rows when the shift is per column, so a block starts at column 0.
        long block = columns == 1 ? 1 << 16 : Math.Max(1, (1 << 16) / columns) * columns;
        long tasks = (n + block - 1) / block;
        TorchThreads.For(tasks, Math.Max(1, Math.Min(get_num_threads(), (int)Math.Min(int.MaxValue, tasks))), k =>
        {
            long start = k * block;
            int count = (int)Math.Min(block, n - start);
            fixed (float* t = entries, c = shift)
                Run(src + start, dst + start, count, t, entries.Length - 1, c, columns);
        });
        return result;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    static void Run(float* x, float* g, int n, float* table, int last, float* shift, int columns)
    {
        var zero = Vector256<float>.Zero;
        var top = Vector256.Create((float)last);
        int i = 0;
        if (columns == 1)
        {
            var c = Vector256.Create(shift[0]);
            for (; i + 8 <= n; i += 8)
            {
                var r = Vector256.Min(Avx.Max(Vector256.Round(Vector256.Load(x + i) - c), zero), top);
                Avx2.GatherVector256(table, Vector256.ConvertToInt32(r), 4).Store(g + i);
            }
        }
        else
        {
            // Row by row (a block starts at a row): the columns' shifts load as a vector too.
            for (; i + columns <= n; i += columns) Row(x + i, g + i, columns, table, last, shift);
        }
        for (; i < n; i++) g[i] = Entry(x[i], shift[columns == 1 ? 0 : i % columns], table, last);
    }

    /// <summary>The entries of one row of <paramref name="columns"/> values, column j shifted by shift[j].</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Row(float* x, float* g, int columns, float* table, int last, float* shift)
    {
        var zero = Vector256<float>.Zero;
        var top = Vector256.Create((float)last);
        int j = 0;
        for (; j + 8 <= columns; j += 8)
        {
            var r = Vector256.Min(Avx.Max(Vector256.Round(Vector256.Load(x + j) - Vector256.Load(shift + j)), zero),
                top);
            Avx2.GatherVector256(table, Vector256.ConvertToInt32(r), 4).Store(g + j);
        }
        for (; j < columns; j++) g[j] = Entry(x[j], shift[j], table, last);
    }

    static float Entry(float x, float shift, float* table, int last)
    {
        float r = MathF.Round(x - shift, MidpointRounding.ToEven);
        return table[r >= 0 ? (int)MathF.Min(r, last) : 0];
    }
}
