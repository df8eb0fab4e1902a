using ImcSharp.Config;
using ImcSharp.Converters;
using TorchSharp;
using static TorchSharp.torch;

namespace ImcSharp.Crossbar;

/// <summary>
/// The analog matrix-vector product of one programmed layer, batched:
/// for tile t, input phase c (a cycle, see <see cref="CoreConfig.Phases"/>), sample b and
/// converted column j,
///   P[t, (c, b), j] = sum_r d_c(x_b)[t, r] * E[t, r, j]  (+ column offset, + read noise)
/// is the partial sum the ADC of column j sees (in that column's LSBs); then
///   y[b, n] = sum_t sum_c w_c sum_s 2^(b s) LSB_s D(ADC(P))[t, (c, b), (n, s)]
/// is the digital shift-and-add, with D the subtraction: identity when it happened in analog,
/// positive minus negative column (or weight minus reference column) when it is digital; minus
/// y at zero input when the chip has an offset trim (<see cref="ProgrammedLayer.OutputOffset"/>).
/// All tiles, phases and columns go through one batched matmul (batch = tiles) and elementwise
/// ADC work, in one pass over the rows it is given (<see cref="LayerEngine"/> chunks).
/// With ideal cells and a lossless ADC, y equals the integer matmul Wq . xq exactly.
/// </summary>
public static class AnalogMvm
{
    /// <summary>
    /// Integer-domain output (estimate of Wq . xq) [B, N] for integer inputs xq [B, K], in one pass
    /// (<see cref="LayerEngine"/> chunks a layer's batch); the probe sees the partial sums
    /// [K T, P*B, J] before conversion (training reads its gate there, <c>Nn.Aware.AdcGate</c>). A
    /// stack of K chips (<see cref="ProgrammedLayer.Stack"/>) takes and returns K B rows, chip by chip.
    /// </summary>
    public static Tensor Forward(ProgrammedLayer layer, Tensor xq, bool signedInputs, Action<Tensor>? probe = null) =>
        Convert(layer, PartialSums(layer, xq, signedInputs), xq.size(0) / layer.Chips, signedInputs, probe);

    /// <summary>
    /// A convolution's output [B L, N] (rows: sample, then output pixel) for integer input images
    /// <paramref name="xq"/> [B, C, H, W]: the same model as <see cref="Forward"/> on the unfolded
    /// input vectors, with the array stage's convolution (<see cref="IArrayStage.ConvPartialSums"/>).
    /// </summary>
    public static Tensor ForwardConv(ProgrammedLayer layer, Tensor xq, ConvGeometry conv, bool signedInputs,
        Action<Tensor>? probe) =>
        Convert(layer, ConvPartialSums(layer, xq, conv, signedInputs), xq.size(0) / layer.Chips * conv.Pixels(xq),
            signedInputs, probe);

    /// <summary>
    /// A convolution's partial sums [K T, P*B*L, J] for integer input images <paramref name="xq"/>
    /// [K B, C, H, W]: the rows <see cref="PartialSums"/> gives for the unfolded input vectors (phase,
    /// then sample, then output pixel), from the array stage's convolution.
    /// </summary>
    public static Tensor ConvPartialSums(ProgrammedLayer layer, Tensor xq, ConvGeometry conv, bool signedInputs)
    {
        var core = layer.Hardware.Core;
        int P = core.Phases(signedInputs), K = layer.Chips;
        long B = xq.size(0) / K;
        // Digits per phase as images [P*B, C, H, W]: phase-major, like the rows of the unfolded path.
        Tensor Digits(Tensor x) => InputEncoding.PhaseImages(x, core, signedInputs, layer.Target);
        // A stack: each chip convolves its own images with its own tile kernels; the partial sums go on as one batch.
        var stage = IArrayStage.Of(layer.Hardware.Array);
        return K == 1 ? stage.ConvPartialSums(layer, Digits(xq), conv)
            : cat(layer.Members.Select((chip, k) => stage.ConvPartialSums(chip, Digits(xq.narrow(0, k * B, B)), conv))
                .ToArray(), 0);
    }

    /// <summary>
    /// Partial sums [T, P*B, J], seen by the probe, through the digital back end: [B, N] (a stack's [K T, P*B, J] give
    /// [K B, N]).
    /// </summary>
    static Tensor Convert(ProgrammedLayer layer, Tensor p, long B, bool signedInputs, Action<Tensor>? probe)
    {
        var core = layer.Hardware.Core;
        // The probe reads the sums before conversion: an ADC may convert in place.
        probe?.Invoke(p);
        return DigitalBackEnd.Output(layer, p, core.Phases(signedInputs), B,
            InputEncoding.PhaseWeightValues(core, signedInputs));
    }

    /// <summary>
    /// The analog partial sums [T, phases*B, J] (sample index c*B + b, converted column j, see
    /// <see cref="ProgrammedLayer"/>) in each column's ADC LSBs (multiply by the slice's
    /// <see cref="SliceRange.Lsb"/> for signal units, then by <see cref="ProgrammedLayer.SignalUnit"/>
    /// for A or V), before conversion: what each column's ADC sees.
    /// </summary>
    public static Tensor PartialSums(ProgrammedLayer layer, Tensor xq, bool signedInputs)
    {
        var core = layer.Hardware.Core;
        int KT = layer.Chips * layer.Tiles, C = core.Cycles, P = core.Phases(signedInputs);
        long B = xq.size(0) / layer.Chips;
        // [K T, B, rows]: a strided view for one chip; one input phase multiplies it as is (BLAS takes the
        // row stride), several phases expand it into contiguous digits [K T, P, B, rows].
        // The CPU kernel makes the digits of each tile's rows in one pass (see DigitsKernel).
        Tensor x;
        if (P > 1 && layer.Target.UsesKernels && DigitsKernel.Applies(xq) && xq.is_contiguous())
            x = DigitsKernel.TileRows(xq, layer.Chips, layer.Tiles, core.Rows, core, signedInputs);
        else
        {
            var perTile = InputEncoding.TileRows(layer, xq);
            int rows = (int)perTile.size(2);
            if (P == 1) x = perTile;
            else
            {
                var digits =
                    C == 1 ? perTile.unsqueeze(1)
                    : InputEncoding.Digits(perTile.contiguous(), core, signedInputs, cycleAxis: 1);
                x = InputEncoding.PhaseDigits(digits, core, signedInputs).reshape(KT, P * B, rows);
            }
        }
        var stage = IArrayStage.Of(layer.Hardware.Array);
        if (layer.Chips == 1 || stage.TakesStacks) return stage.PartialSums(layer, x);
        int T = layer.Tiles;
        return cat(layer.Members.Select((chip, k) => stage.PartialSums(chip, x.narrow(0, (long)k * T, T))).ToArray(),
            0);
    }
}
