using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using ImcSharp.Config;
using TorchSharp;
using static TorchSharp.torch;

namespace ImcSharp.Crossbar;

/// <summary>
/// The phase digits of integer inputs (<see cref="InputEncoding.PhaseDigits"/> of
/// <see cref="InputEncoding.Digits"/>) in one pass on the CPU. For an integer input v, with
/// u = v mod 2^ib (two's complement when signed), cycle k's digit is d_k = (u >> c k) and (2^c - 1);
/// a signed top digit of 2^(c-1) or more is d - 2^c. With a phase of their own for negative
/// digits (digital subtraction of signed inputs) the phases are max(d_k, 0), then max(-d_top, 0);
/// otherwise the digits themselves. Integer shifts and masks give exactly the integers torch's
/// floor, remainder and clamp give, so the same numbers (<c>Crossbar/InputEncodingTests</c>),
/// without torch's passes over the cycles-times-larger digit tensor.
/// </summary>
internal static unsafe class DigitsKernel
{
    /// <summary>
    /// Whether the kernel can take inputs <paramref name="x"/> (dense CPU float32 with 256-bit vectors).
    /// </summary>
    public static bool Applies(Tensor x) => DenseKernel.Applies(x);

    /// <summary>
    /// Images xq [B, C, H, W] (dense, sample-major) to their phase digits [P B, C, H, W] (phase,
    /// then sample), each phase's block in xq's layout; null when the layout is not sample-major.
    /// </summary>
    public static Tensor? Images(Tensor xq, CoreConfig core, bool signed)
    {
        long n = xq.numel(), b = xq.size(0);
        if (b == 0 || xq.stride(0) * b != n) return null;
        int P = core.Phases(signed);
        var stride = xq.Strides();
        var result =
            empty_strided(new[] { P * b }.Concat(xq.Sizes()[1..]).ToArray(), stride, dtype: ScalarType.Float32);
        float* src = DenseKernel.Data(xq), dst = DenseKernel.Data(result);
        var digits = new Digitizer(core, signed);
        DenseKernel.For(n, (start, count) => digits.Row(src + start, count, count, dst + start, n));
        return result;
    }

    /// <summary>
    /// Input vectors x [K B, I] (contiguous; K chips, chip by chip) to the phase digits each tile
    /// drives, [K T, P B, rows] (phase, then sample): rows of tile t are inputs t R .. t R + R - 1,
    /// zero past I; a single tile drives its I rows (see <see cref="InputEncoding.TileRows"/>).
    /// </summary>
    public static Tensor TileRows(Tensor x, int chips, int tiles, int rowsPerTile, CoreConfig core, bool signed)
    {
        long b = x.size(0) / chips, inputs = x.size(1);
        int P = core.Phases(signed), rows = tiles == 1 ? (int)inputs : rowsPerTile;
        var result = empty(new long[] { (long)chips * tiles, P * b, rows });
        float* src = (float*)NativeData.Pointer(x), dst = (float*)NativeData.Pointer(result);
        var digits = new Digitizer(core, signed);
        long vectors = (long)chips * tiles * b, perTask = Math.Max(1, (1 << 16) / rows);
        TorchThreads.For((vectors + perTask - 1) / perTask, Math.Max(1, get_num_threads()), task =>
        {
            for (long i = task * perTask, end = Math.Min(vectors, i + perTask); i < end; i++)
            {
                // Vector i: chip k, tile t, sample s (sample innermost, as the output rows).
                long s = i % b, kt = i / b, k = kt / tiles, t = kt % tiles;
                long first = t * rows;
                int valid = (int)Math.Clamp(inputs - first, 0, rows);
                digits.Row(src + (k * b + s) * inputs + first, valid, rows, dst + (kt * P * b + s) * rows, b * rows);
            }
        });
        return result;
    }

    /// <summary>One encoding's constants, and one run of inputs to its phases.</summary>
    readonly struct Digitizer(CoreConfig core, bool signed)
    {
        readonly int _cycles = core.Cycles, _bits = core.CycleBits, _inputBits = core.InputBits;
        readonly bool _signed = signed, _negativePhase = core.Phases(signed) > core.Cycles;

        /// <summary>
        /// Digits of src[0 .. valid) (zero for [valid, width)) to dst + p <paramref name="phaseStride"/>
        /// for phase p, element for element.
        /// </summary>
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public void Row(float* src, int valid, int width, float* dst, long phaseStride)
        {
            int c = _bits, cycles = _cycles;
            var inputMask = Vector256.Create(_signed ? (int)((1L << _inputBits) - 1) : -1);
            var digitMask = Vector256.Create((1 << c) - 1);
            var half = Vector256.Create(1 << (c - 1));
            var full = Vector256.Create(1 << c);
            int j = 0;
            for (; j + 8 <= valid; j += 8)
            {
                var u = Vector256.ConvertToInt32(Vector256.Load(src + j)) & inputMask;
                var d = Vector256<int>.Zero;
                for (int k = 0; k < cycles; k++)
                {
                    d = Vector256.ShiftRightLogical(u, c * k) & digitMask;
                    if (_signed && k == cycles - 1) d -= Vector256.GreaterThanOrEqual(d, half) & full;
                    Vector256.ConvertToSingle(_negativePhase ? Vector256.Max(d, Vector256<int>.Zero) : d)
                        .Store(dst + k * phaseStride + j);
                }
                if (_negativePhase) Vector256.ConvertToSingle(Vector256.Max(-d, Vector256<int>.Zero))
                    .Store(dst + cycles * phaseStride + j);
            }
            for (; j < width; j++)
            {
                int u = j < valid ? (int)src[j] & inputMask[0] : 0, d = 0;
                for (int k = 0; k < cycles; k++)
                {
                    d = (u >> (c * k)) & ((1 << c) - 1);
                    if (_signed && k == cycles - 1 && d >= 1 << (c - 1)) d -= 1 << c;
                    dst[k * phaseStride + j] = _negativePhase ? Math.Max(d, 0) : d;
                }
                if (_negativePhase) dst[cycles * phaseStride + j] = Math.Max(-d, 0);
            }
        }
    }
}
