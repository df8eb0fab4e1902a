using ImcSharp.Config;
using TorchSharp;
using static TorchSharp.torch;

namespace ImcSharp.Crossbar;

/// <summary>
/// Input quantization and the cycle digits applied to the rows.
/// Unsigned inputs (all >= 0, e.g. after ReLU): xq in 0 .. 2^ib - 1, scale = range / (2^ib - 1).
/// Signed inputs: xq in ±(2^(ib-1) - 1), scale = range / (2^(ib-1) - 1), two's complement.
/// Bit-serial with c-bit cycles: xq = sum_k d_k 2^(c k), digits d_k in 0 .. 2^c - 1, except that
/// for signed inputs the top digit is signed (-2^(c-1) .. 2^(c-1) - 1): a bipolar top pulse,
/// or equivalently a negatively weighted MSB cycle. DAC mode is the one-cycle case (d = xq).
/// </summary>
public static class InputEncoding
{
    /// <summary>The largest integer input q: 2^(ib-1) - 1 signed, 2^ib - 1 unsigned.</summary>
    public static double QuantMax(int inputBits, bool signed) =>
        signed ? (1 << (inputBits - 1)) - 1 : (1 << inputBits) - 1;

    /// <summary>
    /// Integer inputs xq = clamp(round(x / scale), -q or 0, q) (q = <see cref="QuantMax"/>, ties to
    /// even), in x's layout. Where <paramref name="target"/> uses kernels: one pass on the CPU
    /// (<see cref="QuantizeKernel"/>, the same numbers) where it applies; otherwise torch's operations.
    /// </summary>
    public static Tensor Quantize(Tensor x, double scale, int inputBits, bool signed, ComputeTarget? target = null)
    {
        double q = QuantMax(inputBits, signed);
        if (target?.UsesKernels == true && DenseKernel.Applies(x)) return QuantizeKernel.Quantize(x, (float)scale,
            signed ? (float)-q : 0f, (float)q);
        return (x / scale).round_().clamp_(signed ? -q : 0, q);
    }

    /// <summary>The input range [-q s or 0, q s] as the float32 bounds torch's clamp makes of it.</summary>
    public static (float Low, float High) ClipRange(double scale, int inputBits, bool signed)
    {
        double q = QuantMax(inputBits, signed);
        return ((float)(signed ? -q * scale : 0), (float)(q * scale));
    }

    /// <summary>
    /// Digits of integer inputs xq, stacked along a new axis <paramref name="cycleAxis"/> (default
    /// first: [cycles, ...xq.shape]). Computed by broadcasting, so the result is contiguous in
    /// that layout without a copy.
    /// </summary>
    public static Tensor Digits(Tensor xq, CoreConfig core, bool signed, int cycleAxis = 0)
    {
        int cycles = core.Cycles, c = core.CycleBits;
        if (cycles == 1) return xq.unsqueeze(cycleAxis);
        // Two's complement as an unsigned ib-bit number (floor modulo maps -k to 2^ib - k).
        var u = signed ? xq.remainder(Math.Pow(2, core.InputBits)) : xq;
        var shape = Enumerable.Repeat(1L, (int)xq.dim() + 1).ToArray();
        shape[cycleAxis] = cycles;
        var powers =
            tensor(Enumerable.Range(0, cycles).Select(k => (float)Math.Pow(2, -c * k)).ToArray(), device: xq.device)
            .view(shape);
        var digits = u.unsqueeze(cycleAxis).mul(powers).floor_().remainder_(1 << c);
        if (signed)
        {
            var topDigit = digits.select(cycleAxis, cycles - 1);
            topDigit.sub_(topDigit.ge(1 << (c - 1)).to_type(ScalarType.Float32).mul_(1 << c));
        }
        return digits;
    }

    /// <summary>
    /// The digits of each phase, [T, phases, ...] from cycle digits <paramref name="digits"/> [T, cycles, ...]:
    /// the cycles with the top digit's negative part removed, then that part's magnitude.
    /// </summary>
    public static Tensor PhaseDigits(Tensor digits, CoreConfig core, bool signed)
    {
        if (core.Phases(signed) == core.Cycles) return digits;
        // Digits below the top one are never negative, so clamping them all leaves them as they are.
        var negative = digits.select(1, core.Cycles - 1).neg().clamp_min_(0).unsqueeze(1);
        return cat(new[] { digits.clamp_min(0), negative }, 1);
    }

    /// <summary>
    /// Integer input images xq [B, C, H, W] as the digit images of each phase, [P B, C, H, W]
    /// (phase, then sample): <see cref="PhaseDigits"/> of <see cref="Digits"/>; xq itself when one
    /// phase applies it whole. Where <paramref name="target"/> uses kernels: one pass on the CPU
    /// (<see cref="DigitsKernel"/>, the same numbers) where it applies; otherwise torch's operations.
    /// </summary>
    public static Tensor PhaseImages(Tensor xq, CoreConfig core, bool signed, ComputeTarget? target = null)
    {
        int P = core.Phases(signed);
        if (P == 1) return xq;
        if (target?.UsesKernels == true && DigitsKernel.Applies(xq)
            && DigitsKernel.Images(xq, core, signed) is { } digits) return digits;
        return PhaseDigits(Digits(xq, core, signed).unsqueeze(0), core, signed)
            .reshape(new[] { P * xq.size(0) }.Concat(xq.Sizes()[1..]).ToArray());
    }

    /// <summary>
    /// Digital weight of each phase: 2^(c k) for cycle k, then -2^(c (cycles - 1)) for the negative phase, as a
    /// [phases] tensor.
    /// </summary>
    public static Tensor PhaseWeights(CoreConfig core, bool signed, Device? device = null) =>
        tensor(PhaseWeightValues(core, signed), device: device);

    /// <summary>The phase weights of <see cref="PhaseWeights"/> as numbers.</summary>
    public static float[] PhaseWeightValues(CoreConfig core, bool signed)
    {
        var w = Enumerable.Range(0, core.Cycles).Select(k => (float)Math.Pow(2, core.CycleBits * k)).ToList();
        if (core.Phases(signed) > core.Cycles) w.Add(-w[^1]);
        return w.ToArray();
    }

    /// <summary>
    /// Input vectors [B, K] as the rows each tile drives, [T, B, rows] (a strided view): rows past K
    /// get no input (zero); a single tile keeps its K rows instead of multiplying zeros. A stack's
    /// rows [chips B, K] give [chips T, B, rows], chip by chip.
    /// </summary>
    public static Tensor TileRows(ProgrammedLayer layer, Tensor x)
    {
        int T = layer.Tiles, R = layer.Hardware.Core.Rows, chips = layer.Chips;
        long B = x.size(0) / chips;
        if (T == 1) return chips == 1 ? x.unsqueeze(0) : x.reshape(chips, B, x.size(1));
        var padded = nn.functional.pad(x, new long[] { 0, (long)T * R - x.size(1) });
        return chips == 1 ? padded.reshape(B, T, R).permute(1, 0, 2)
            : padded.reshape(chips, B, T, R).permute(0, 2, 1, 3).reshape(chips * T, B, R);
    }
}
