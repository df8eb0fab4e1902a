using ImcSharp.Config;
using static TorchSharp.torch;

namespace ImcSharp.Crossbar;

/// <summary>How the converted columns of a tile relate to the signal columns: where the subtraction happens.</summary>
public enum ColumnArrangement
{
    /// <summary>
    /// Analog subtraction: each converted column is a signal column (a pair's or a weight's difference), J = N S.
    /// </summary>
    Signed,
    /// <summary>
    /// Digital subtraction of differential pairs: plus columns 0..NS-1, then their minus columns NS..2NS-1.
    /// </summary>
    Pairs,
    /// <summary>
    /// Digital subtraction against references (offset mapping): weight columns 0..NS-1, then one reference per slice,
    /// NS..NS+S-1.
    /// </summary>
    References,
}

/// <summary>
/// The columns of one tile as the ADCs and the digital back end see them: which converted column
/// holds which slice, which is a pair's other side or a reference, and what is subtracted where.
/// Signal column n S + s is output n's slice s. The subtraction D takes converted codes c [.., J] to
/// signal codes [.., N S]:
///   Signed: D(c)_j = c_j;  Pairs: D(c)_j = c_j - c_(NS + j);  References: D(c)_j = c_j - c_(NS + j mod S).
/// </summary>
public sealed record ColumnLayout(ColumnArrangement Arrangement, int Outputs, int Slices)
{
    /// <summary>
    /// The layout a core gives a layer of <paramref name="outputs"/> outputs: its subtraction and mapping.
    /// </summary>
    public static ColumnLayout Of(CoreConfig core, int outputs) => new(
        core.Subtract == Subtraction.Analog ? ColumnArrangement.Signed
        : core.Mapping == WeightMapping.Offset ? ColumnArrangement.References : ColumnArrangement.Pairs,
        outputs, core.Slices);

    /// <summary>N S: one per output and slice.</summary>
    public int SignalColumns => Outputs * Slices;

    /// <summary>J: NS (signed), 2 NS (pairs) or NS + S (references).</summary>
    public int ConvertedColumns => Arrangement switch
    {
        ColumnArrangement.Signed => SignalColumns,
        ColumnArrangement.Pairs => 2 * SignalColumns,
        _ => SignalColumns + Slices,
    };

    /// <summary>
    /// Whether each physical column is converted on its own, from its unsigned current or charge (digital subtraction).
    /// </summary>
    public bool Unsigned => Arrangement != ColumnArrangement.Signed;

    /// <summary>Whether the subtracted columns are one reference per slice shared by every output.</summary>
    public bool SharedReference => Arrangement == ColumnArrangement.References;

    /// <summary>
    /// The weight slice of converted column j: signal and plus columns j mod S, minus columns (j - NS) mod S,
    /// references j - NS.
    /// </summary>
    public int SliceOf(int j) =>
        j < SignalColumns ? j % Slices : SharedReference ? j - SignalColumns : (j - SignalColumns) % Slices;

    /// <summary>[J] the slice of every converted column.</summary>
    public int[] ColumnSlices() => Enumerable.Range(0, ConvertedColumns).Select(SliceOf).ToArray();

    /// <summary>The converted column signal column j subtracts (null: none, the subtraction was analog).</summary>
    public int? Subtracted(int j) => Arrangement switch
    {
        ColumnArrangement.Signed => null,
        ColumnArrangement.Pairs => SignalColumns + j,
        _ => SignalColumns + j % Slices,
    };

    /// <summary>D: converted codes [.., J] to signal codes [.., N S] (see the record's summary).</summary>
    public Tensor Subtract(Tensor converted)
    {
        if (Arrangement == ColumnArrangement.Signed) return converted;
        int ns = SignalColumns;
        var pos = converted.narrow(-1, 0, ns);
        var neg = converted.narrow(-1, ns, ConvertedColumns - ns);
        if (Arrangement == ColumnArrangement.Pairs) return pos.sub(neg);
        var shape = pos.Sizes()[..^1];
        return pos.view(shape.Append(Outputs).Append(Slices).ToArray()).sub(neg.unsqueeze(-2)).view(pos.Sizes());
    }

    /// <summary>
    /// The training gate of each signal column from its converted columns' gates g [.., J]: as it
    /// is (signed); a pair's output moves with both columns' codes, so their mean; a reference
    /// column holds no weight, so the weight column's.
    /// </summary>
    public Tensor SignalGate(Tensor g)
    {
        if (Arrangement == ColumnArrangement.Signed) return g;
        int ns = SignalColumns;
        var pos = g.narrow(-1, 0, ns);
        return SharedReference ? pos : pos.add(g.narrow(-1, ns, ns)).mul_(0.5);
    }
}
