using ImcSharp.Crossbar;
using TorchSharp;
using static TorchSharp.torch;

namespace ImcSharp.Nn.Aware;

/// <summary>
/// The straight-through pieces of peripheral-aware training (see <see cref="AnalogLayer"/>), giving
/// the gradients torch's operations gave, bit for bit, for fewer passes. The inputs' clip and
/// quantization and the output are autograd nodes (TorchSharp custom functions): the inputs in one
/// pass forward and one backward (torch: clamp, add; ge, le, and, where), the output, whose
/// surrogate value was computed only to be thrown away, in none forward (torch: a gate product per
/// tile, their sum, the bias, a subtract and an add). Their backward runs inside libtorch's: an
/// exception there would end the process, so they do nothing that throws on valid shapes. The
/// weights need no node: their gradient is the identity, which autograd's add gives in libtorch.
/// </summary>
public static class StraightThrough
{
    /// <summary>
    /// The value of the training surrogate's inputs (see <see cref="Inputs"/>): with
    /// c = clamp(x, -q s or 0, q s), c + (Quantize(c) s - c), i.e. the quantized input Quantize(x) s
    /// (to float32 rounding), as float32 operations on c, so that a gradient may be taken as the
    /// identity on c. Where <paramref name="target"/> uses kernels: one pass on the CPU
    /// (<see cref="QuantizeKernel"/>, the same numbers) where it applies; otherwise torch's operations.
    /// </summary>
    public static Tensor SurrogateInputs(Tensor x, double scale, int inputBits, bool signed,
        ComputeTarget? target = null)
    {
        double q = InputEncoding.QuantMax(inputBits, signed);
        var (low, high) = InputEncoding.ClipRange(scale, inputBits, signed);
        if (target?.UsesKernels == true && DenseKernel.Applies(x)) return QuantizeKernel.ClippedValue(x, (float)scale,
            signed ? (float)-q : 0f, (float)q, low, high);
        var c = x.clamp(low, high);
        return c + InputEncoding.Quantize(c, scale, inputBits, signed, ComputeTarget.Reference).mul_(scale).sub_(c);
    }

    /// <summary>
    /// The gradient of the clip to the input range: <paramref name="grad"/> where -q s (or 0) &lt;= x &lt;= q s,
    /// +0 elsewhere (and for NaN), as torch's gradient of clamp, in x's layout. Where <paramref name="target"/>
    /// uses kernels: one pass on the CPU where x and the gradient are dense (after a copy of the gradient into x's
    /// layout when they differ: a tiled layer's input gradient comes back contiguous, its images
    /// channels-last); otherwise torch's operations.
    /// </summary>
    public static Tensor ClippedGradient(Tensor x, Tensor grad, double scale, int inputBits, bool signed,
        ComputeTarget? target = null)
    {
        var (low, high) = InputEncoding.ClipRange(scale, inputBits, signed);
        if (target?.UsesKernels == true
            && QuantizeKernel.GradientApplies(x, grad)) return QuantizeKernel.ClippedGradient(x, grad, low, high);
        return where(x.ge(low).logical_and_(x.le(high)), grad, zeros(1, dtype: grad.dtype, device: grad.device));
    }

    /// <summary>
    /// The surrogate's inputs: value <see cref="SurrogateInputs"/> (the quantized input),
    /// gradient 1 inside the input range [-q s or 0, q s] and 0 outside (clipped inputs get none):
    /// the value and gradient of clamp(x) + (Quantize(clamp(x)) s - clamp(x)).detach(), bit for bit.
    /// </summary>
    public static Tensor Inputs(Tensor x, double scale, int inputBits, bool signed, ComputeTarget target) =>
        QuantizedInputs.apply(x, scale, inputBits, signed, target);

    /// <summary>
    /// The surrogate's weights W + (Quantize(W) s - W).detach(): the quantized weights, gradient the
    /// identity, passed through by autograd's add in libtorch (a node's call back into .NET cost more
    /// on small weights; the residual is one pass, <see cref="WeightSlicing.QuantizationResidual"/>).
    /// </summary>
    public static Tensor Weights(Tensor w, int weightBits, ComputeTarget target) =>
        w.add(WeightSlicing.QuantizationResidual(w.detach(), weightBits, target), One);

    /// <summary>add's alpha, made once: TorchSharp makes a finalizable scalar of every number it is given.</summary>
    static readonly Scalar One = 1.ToScalar();

    /// <summary>
    /// Value exactly <paramref name="hardware"/>; gradient that of the surrogate
    /// y_sur = sum_i terms[i] * gates[i] (a null gate: 1), which is not computed: its value would be
    /// thrown away (hw + (sur - sur.detach()) took a pass per term, and its gates' products one more).
    /// Term i gets the output's gradient times its gate, summed to its shape where it broadcasts
    /// (a bias), as autograd's mul, add and broadcast would give it, bit for bit.
    /// </summary>
    public static Tensor Output(Tensor hardware, IReadOnlyList<(Tensor Term, Tensor? Gate)> surrogate)
    {
        var vars = new object[1 + 2 * surrogate.Count];
        vars[0] = hardware;
        for (int i = 0; i < surrogate.Count; i++)
        {
            vars[1 + 2 * i] = surrogate[i].Term;
            vars[2 + 2 * i] = (object?)surrogate[i].Gate ?? NoGate;
        }
        return HardwareOutput.apply(vars);
    }

    /// <summary>A term without a gate (not a tensor, so autograd gives it no edge).</summary>
    static readonly object NoGate = new();

    sealed class QuantizedInputs : autograd.SingleTensorFunction<QuantizedInputs>
    {
        /// <inheritdoc/>
        public override string Name => "ImcSharpQuantizedInputs";

        /// <inheritdoc/>
        public override Tensor forward(autograd.AutogradContext ctx, params object[] vars)
        {
            var x = (Tensor)vars[0];
            var (scale, bits, signed, target) = ((double)vars[1], (int)vars[2], (bool)vars[3], (ComputeTarget)vars[4]);
            ctx.save_for_backward(new List<Tensor> { x });
            ctx.save_data("quantizer", (scale, bits, signed, target));
            return SurrogateInputs(x, scale, bits, signed, target);
        }

        /// <inheritdoc/>
        public override List<Tensor> backward(autograd.AutogradContext ctx, Tensor grad)
        {
            var x = ctx.get_saved_variables()[0];
            var (scale, bits, signed, target) = ((double, int, bool, ComputeTarget))ctx.get_data("quantizer");
            // One entry per argument of apply; none for the settings.
            return new List<Tensor> { ClippedGradient(x, grad, scale, bits, signed, target), null!, null!, null!,
                null! };
        }
    }

    sealed class HardwareOutput : autograd.SingleTensorFunction<HardwareOutput>
    {
        /// <inheritdoc/>
        public override string Name => "ImcSharpHardwareOutput";

        /// <inheritdoc/>
        public override Tensor forward(autograd.AutogradContext ctx, params object[] vars)
        {
            int terms = (vars.Length - 1) / 2;
            ctx.save_for_backward(Enumerable.Range(0, terms).Select(i => vars[2 + 2 * i] as Tensor).ToList()!);
            ctx.save_data("shapes",
                Enumerable.Range(0, terms).Select(i => ((Tensor)vars[1 + 2 * i]).Sizes()).ToArray());
            return (Tensor)vars[0];
        }

        /// <inheritdoc/>
        public override List<Tensor> backward(autograd.AutogradContext ctx, Tensor grad)
        {
            var gates = ctx.get_saved_variables();
            var shapes = (long[][])ctx.get_data("shapes");
            // One entry per argument of apply: none for the hardware value and the gates.
            var grads = new List<Tensor> { null! };
            for (int i = 0; i < shapes.Length; i++)
            {
                var g = gates[i] is { } gate ? grad.mul(gate) : grad;
                grads.Add(SumTo(g, shapes[i]));
                grads.Add(null!);
            }
            return grads;
        }

        /// <summary>
        /// <paramref name="g"/> summed to <paramref name="shape"/> it was broadcast from: over the leading
        /// dimensions it lacks and, keeping them, those it has as 1 (autograd's sum_to_size).
        /// </summary>
        static Tensor SumTo(Tensor g, long[] shape)
        {
            var sizes = g.Sizes();
            if (sizes.SequenceEqual(shape)) return g;
            int lead = sizes.Length - shape.Length;
            var dims = Enumerable.Range(0, sizes.Length).Where(d => d < lead || (shape[d - lead] == 1 && sizes[d] != 1))
                .Select(d => (long)d).ToArray();
            var sum = g.sum(dims, keepdim: true);
            return lead > 0 ? sum.view(shape) : sum;
        }
    }
}
