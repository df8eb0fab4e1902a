using ImcSharp.Crossbar;
using TorchSharp;
using static TorchSharp.torch;

namespace ImcSharp.Nn;

/// <summary>
/// The straight-through pieces of peripheral-aware training (see <see cref="AnalogLayer"/>), each one
/// autograd node whose forward and backward take a pass or none, where the same gradients from
/// torch's operations took several: clamp, add and their backward (ge, le, and, where) for the
/// inputs, and a subtract and an add for the output.
/// </summary>
public static class StraightThrough
{
    /// <summary>
    /// The surrogate's inputs: value <see cref="InputEncoding.SurrogateInputs"/> (the quantized input),
    /// gradient 1 inside the input range [-q s or 0, q s] and 0 outside (clipped inputs get none):
    /// the value and gradient of clamp(x) + (Quantize(clamp(x)) s - clamp(x)).detach(), bit for bit.
    /// </summary>
    public static Tensor Inputs(Tensor x, double scale, int inputBits, bool signed, bool kernels) =>
        QuantizedInputs.apply(x, scale, inputBits, signed, kernels);

    /// <summary>
    /// Value exactly <paramref name="hardware"/>, gradient exactly the surrogate's: hw + (sur - sur.detach()),
    /// without computing it.
    /// </summary>
    public static Tensor Output(Tensor hardware, Tensor surrogate) => HardwareOutput.apply(hardware, surrogate);

    sealed class QuantizedInputs : autograd.SingleTensorFunction<QuantizedInputs>
    {
        public override string Name => "ImcSharpQuantizedInputs";

        public override Tensor forward(autograd.AutogradContext ctx, params object[] vars)
        {
            var x = (Tensor)vars[0];
            var (scale, bits, signed, kernels) = ((double)vars[1], (int)vars[2], (bool)vars[3], (bool)vars[4]);
            ctx.save_for_backward(new List<Tensor> { x });
            ctx.save_data("quantizer", (scale, bits, signed, kernels));
            return InputEncoding.SurrogateInputs(x, scale, bits, signed, kernels);
        }

        public override List<Tensor> backward(autograd.AutogradContext ctx, Tensor grad)
        {
            var x = ctx.get_saved_variables()[0];
            var (scale, bits, signed, kernels) = ((double, int, bool, bool))ctx.get_data("quantizer");
            // One entry per argument of apply; none for the settings.
            return new List<Tensor> { InputEncoding.ClippedGradient(x, grad, scale, bits, signed, kernels), null!, null!, null!, null! };
        }
    }

    sealed class HardwareOutput : autograd.SingleTensorFunction<HardwareOutput>
    {
        public override string Name => "ImcSharpHardwareOutput";

        public override Tensor forward(autograd.AutogradContext ctx, params object[] vars) => (Tensor)vars[0];

        public override List<Tensor> backward(autograd.AutogradContext ctx, Tensor grad) => new List<Tensor> { null!, grad };
    }
}
