using ImcSharp.Config;
using static TorchSharp.torch;

namespace ImcSharp.Crossbar;

/// <summary>
/// First-order arrays: each column's sum is linear in the digits through the programmed cells'
/// effective levels (column gains, first-order IR drop and charge sharing folded in at
/// programming), p = x G; a physical column saturates at its clip level (a pair's columns each
/// before the analog subtraction); plus each column's offset and the read noise of the cells it
/// reads, N(0, sum_r x_r^2 sigma_r^2).
/// </summary>
public sealed class FirstOrderArray : IArrayStage
{
    /// <summary>The one instance (it holds nothing).</summary>
    public static readonly FirstOrderArray Instance = new();

    /// <inheritdoc/>
    public string Solver => ArraySolver.FirstOrder;

    /// <inheritdoc/>
    public bool TakesStacks => true;

    /// <inheritdoc/>
    public Tensor PartialSums(ProgrammedLayer layer, Tensor x)
    {
        int R = layer.Hardware.Core.Rows, rows = (int)x.size(2);
        // Cell matrices are stored one row per column ([T, J, R]); the transposed view multiplies without a copy.
        return Columns(layer,
            (byColumn, input) => input.bmm((rows == R ? byColumn : byColumn.narrow(2, 0, rows)).transpose(1, 2)), x);
    }

    /// <summary>
    /// The same model with one convolution per tile instead of unfolded input vectors (see <see cref="ConvGeometry"/>).
    /// </summary>
    public Tensor ConvPartialSums(ProgrammedLayer layer, Tensor digits, ConvGeometry conv) =>
        Columns(layer, (byColumn, input) => conv.TileSums(input, layer.TileKernels(byColumn, conv), byColumn.size(2)),
            digits);

    /// <summary>
    /// The column model given how a programmed matrix [T, J, R] multiplies the inputs (<paramref name="sums"/>).
    /// </summary>
    static Tensor Columns(ProgrammedLayer layer, Func<Tensor, Tensor, Tensor> sums, Tensor x)
    {
        Tensor Saturate(Tensor s) => layer.Clip is { } clip ? s.maximum(clip.neg()).minimum(clip) : s;
        Tensor p = layer.Saturation is { } sat
            ? Saturate(sums(sat.Positive, x)).sub_(Saturate(sums(sat.Negative, x)))
            : Saturate(sums(layer.EffectiveByColumn, x));
        if (layer.ColumnOffset is { } off) p.add_(off.transpose(1, 2));
        if (layer.ReadVariance is { } rv)
        {
            // Independent per-read cell noise sums to a Gaussian of variance sum_r x_r^2 sigma_r^2.
            layer.AddReadNoise(p, sums(rv, x.square()));
        }
        return p;
    }
}
