using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using TorchSharp;
using static TorchSharp.torch;

namespace ImcSharp.Crossbar;

/// <summary>
/// Input quantization in one pass over dense float32 inputs, with the same IEEE float32
/// operations, in the same order, as the torch operations it replaces (each a pass of its own),
/// so the same numbers bit for bit (<c>Crossbar/InputQuantizationTests</c>):
///   <see cref="Quantize"/>: xq = min(max(round_half_even(x / s), lo), hi)   (s the input step as float32),
///     torch's div, round_, clamp_;
///   <see cref="ClippedValue"/>: c + (q(c) s - c) with c = min(max(x, lo s), hi s), the value of the
///     training surrogate's inputs (<see cref="Nn.Aware.StraightThrough.SurrogateInputs"/>): torch's clamp,
///     then the above, mul_, sub and add;
///   <see cref="Residual"/>: q(x) s - x, the weights' quantization residual
///     (<see cref="WeightSlicing.QuantizationResidual"/>): the above without clamp and add;
///   <see cref="ClippedGradient"/>: g where lo s &lt;= x &lt;= hi s, else +0: torch's gradient of clamp;
///   <see cref="MaxAbs"/>: max |x|, torch's abs().max().
/// Results keep the input's layout (channels-last images stay channels-last), as torch's do.
/// </summary>
internal static unsafe class QuantizeKernel
{
    public static Tensor Quantize(Tensor x, float step, float lo, float hi) =>
        Map(x, step, lo, hi, 0, 0, Output.Levels);

    public static Tensor ClippedValue(Tensor x, float step, float lo, float hi, float clipLow, float clipHigh) =>
        Map(x, step, lo, hi, clipLow, clipHigh, Output.ClippedValue);

    public static Tensor Residual(Tensor x, float step, float lo, float hi) =>
        Map(x, step, lo, hi, 0, 0, Output.Residual);

    enum Output { Levels, ClippedValue, Residual }

    static Tensor Map(Tensor x, float step, float lo, float hi, float clipLow, float clipHigh, Output output)
    {
        var result = DenseKernel.EmptyLike(x);
        float* src = DenseKernel.Data(x), dst = DenseKernel.Data(result);
        DenseKernel.For(x.numel(),
            (start, n) => Run(src + start, dst + start, n, step, lo, hi, clipLow, clipHigh, output));
        return result;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    static void Run(float* x, float* y, int n, float step, float lo, float hi, float clipLow, float clipHigh,
        Output output)
    {
        var s = Vector256.Create(step);
        var low = Vector256.Create(lo);
        var high = Vector256.Create(hi);
        var clipL = Vector256.Create(clipLow);
        var clipH = Vector256.Create(clipHigh);
        bool clip = output == Output.ClippedValue;
        int i = 0;
        for (; i + 8 <= n; i += 8)
        {
            var v = Vector256.Load(x + i);
            if (clip) v = Vector256.Min(Vector256.Max(v, clipL), clipH);
            var q = Vector256.Min(Vector256.Max(Vector256.Round(v / s), low), high);
            (output switch { Output.Levels => q, Output.ClippedValue => v + (q * s - v), _ => q * s - v }).Store(y + i);
        }
        for (; i < n; i++)
        {
            float v = clip ? MathF.Min(MathF.Max(x[i], clipLow), clipHigh) : x[i];
            float q = MathF.Min(MathF.Max(MathF.Round(v / step, MidpointRounding.ToEven), lo), hi);
            y[i] = output switch { Output.Levels => q, Output.ClippedValue => v + (q * step - v), _ => q * step - v };
        }
    }

    /// <summary>
    /// max |x| over dense float32 x, NaN if any element is (torch's abs().max()); small tensors (a layer's weights):
    /// one thread.
    /// </summary>
    public static float MaxAbs(Tensor x)
    {
        float* v = DenseKernel.Data(x);
        long n = x.numel(), i = 0;
        var max = Vector256<float>.Zero;
        // IEEE maximum: a NaN carries through, as in torch's max.
        for (; i + 8 <= n; i += 8) max = Vector256.Max(max, Vector256.Abs(Vector256.Load(v + i)));
        float m = 0;
        for (int k = 0; k < 8; k++) m = MathF.Max(m, max.GetElement(k));
        for (; i < n; i++) m = MathF.Max(m, MathF.Abs(v[i]));
        return m;
    }

    /// <summary>Whether <see cref="ClippedGradient"/> applies: both dense, of one shape.</summary>
    public static bool GradientApplies(Tensor x, Tensor grad) =>
        DenseKernel.Applies(x) && DenseKernel.Applies(grad) && x.Sizes().SequenceEqual(grad.Sizes());

    /// <summary>The gradient in x's layout (a copy of it when laid out otherwise, then clipped in place).</summary>
    public static Tensor ClippedGradient(Tensor x, Tensor grad, float clipLow, float clipHigh)
    {
        bool alike = x.Strides().SequenceEqual(grad.Strides());
        var result = DenseKernel.EmptyLike(x);
        if (!alike) result.copy_(grad);
        float* src = DenseKernel.Data(x), g = DenseKernel.Data(alike ? grad : result), dst = DenseKernel.Data(result);
        DenseKernel.For(x.numel(), (start, n) => Clip(src + start, g + start, dst + start, n, clipLow, clipHigh));
        return result;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    static void Clip(float* x, float* g, float* y, int n, float clipLow, float clipHigh)
    {
        var clipL = Vector256.Create(clipLow);
        var clipH = Vector256.Create(clipHigh);
        int i = 0;
        for (; i + 8 <= n; i += 8)
        {
            var v = Vector256.Load(x + i);
            // Ordered comparisons: a NaN input is outside, as torch's ge and le make it.
            var inside = Vector256.GreaterThanOrEqual(v, clipL) & Vector256.LessThanOrEqual(v, clipH);
            (Vector256.Load(g + i) & inside).Store(y + i);
        }
        for (; i < n; i++)
            y[i] = x[i] >= clipLow && x[i] <= clipHigh ? g[i] : 0f;
    }
}
