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
        Tensor? squares = null;
        // Cell matrices are stored one row per column ([T, J, R]); the transposed view multiplies without a copy.
        return Columns(layer, products => products.Select(p =>
                (p.Squared ? squares ??= x.square() : x)
                .bmm((rows == R ? p.Matrix : p.Matrix.narrow(2, 0, rows)).transpose(1, 2))).ToArray());
    }

    /// <summary>
    /// The same model with one convolution per tile instead of unfolded input vectors (see <see cref="ConvGeometry"/>).
    /// </summary>
    public Tensor ConvPartialSums(ProgrammedLayer layer, Tensor digits, ConvGeometry conv) =>
        Columns(layer, products => conv.TileSums(digits, layer.Hardware.Core.Rows,
            products.Select(p => new TileProduct(layer.TileKernels(p.Matrix, conv), p.Squared)).ToArray()));

    /// <summary>
    /// The column model given how the inputs multiply programmed matrices [T, J, R]
    /// (<paramref name="products"/>: each matrix times the input digits, or their squares, in one call so a
    /// convolution builds its receptive fields once).
    /// </summary>
    static Tensor Columns(ProgrammedLayer layer, Func<(Tensor Matrix, bool Squared)[], Tensor[]> products)
    {
        Tensor Saturate(Tensor s) => layer.Clip is { } clip ? s.maximum(clip.neg()).minimum(clip) : s;
        var matrices = new List<(Tensor Matrix, bool Squared)>();
        if (layer.Saturation is { } sat) matrices.AddRange(new[] { (sat.Positive, false), (sat.Negative, false) });
        else matrices.Add((layer.EffectiveByColumn, false));
        // Independent per-read cell noise sums to a Gaussian of variance sum_r x_r^2 sigma_r^2.
        if (layer.ReadVariance is { } rv) matrices.Add((rv, true));
        var sums = products(matrices.ToArray());
        Tensor p = layer.Saturation is not null ? Saturate(sums[0]).sub_(Saturate(sums[1])) : Saturate(sums[0]);
        if (layer.ColumnOffset is { } off) p.add_(off.transpose(1, 2));
        if (layer.ReadVariance is not null) layer.AddReadNoise(p, sums[^1]);
        return p;
    }
}
