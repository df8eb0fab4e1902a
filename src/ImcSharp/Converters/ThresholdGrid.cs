using TorchSharp;
using static TorchSharp.torch;

namespace ImcSharp.Converters;

/// <summary>
/// Exact threshold counting in a few elementwise passes instead of a sorted search. The input
/// axis is cut into 1-LSB cells [o + j - 1, o + j) (j = 1 .. L; cell 0 below, cell L + 1 above).
/// For column c and cell j the table holds base[c, j] = #{thresholds of c below the cell} and the
/// (at most K) thresholds inside it. Then code(x) = #{t &lt;= x} = base[c, j(x)] + sum_i [x &gt;= t_i]
/// over the cell's thresholds: a gather and K compare-and-add passes. With small DNL, K is 1-2.
/// Tables are stored column-major ([C, cells]): a column's cells share cache lines.
/// Cells of inputs and thresholds come from the same rounded j = floor(fl(v - o)) + 1, which is
/// monotone in v, so a threshold in a lower (higher) cell is surely below (above) the input, and
/// those in the input's cell are compared unshifted: the count equals a sorted search exactly.
/// +inf thresholds never count.
/// </summary>
public sealed class ThresholdGrid : IDisposable
{
    readonly float _origin;
    public long Cells { get; }
    public long Columns { get; }
    readonly Tensor _base;       // [C * cells] float32
    readonly Tensor[] _inside;   // K x [C * cells] float32, +inf padded
    public int Depth => _inside.Length;

    ThresholdGrid(float origin, long cells, long columns, Tensor @base, Tensor[] inside)
    {
        _origin = origin;
        Cells = cells;
        Columns = columns;
        _base = @base;
        _inside = inside;
    }

    /// <summary>The grid of sorted per-column thresholds [C, M]; null when a cell would hold more than <paramref name="maxDepth"/> thresholds or the range is too wide.</summary>
    public static ThresholdGrid? TryBuild(Tensor sortedColumns, int maxDepth = 6, long maxCells = 1 << 16)
    {
        using var scope = NewDisposeScope();
        var t = sortedColumns.to_type(ScalarType.Float32);
        long c = t.shape[0], m = t.shape[1];
        var finite = t.isfinite();
        if (t.lt(0).logical_and(finite.logical_not()).any().item<bool>()) return null;   // -inf: leave to the sorted search
        bool any = finite.any().item<bool>();
        double lo = any ? Math.Floor(t.masked_select(finite).min().item<float>()) : 0;
        double hi = any ? Math.Floor(t.masked_select(finite).max().item<float>()) : 0;
        long cells = (long)(hi - lo) + 3;
        if (cells > maxCells || cells * c >= int.MaxValue) return null;
        float origin = (float)lo;
        var rel = t - origin;
        var cell = rel.floor().add_(1).clamp_(0, cells - 1).masked_fill(finite.logical_not(), 0).to_type(ScalarType.Int64);
        var counts = zeros(new long[] { c, cells }, ScalarType.Float32).scatter_add_(1, cell, finite.to_type(ScalarType.Float32));
        int depth = any ? (int)counts.max().item<float>() : 0;
        if (depth > maxDepth) return null;
        var below = counts.cumsum(1).sub_(counts);                                              // exclusive: thresholds in lower cells
        var rank = arange(m, ScalarType.Float32).unsqueeze(0).expand(c, m);                     // sorted: finite ones come first
        var pos = (rank - below.gather(1, cell)).to_type(ScalarType.Int64);
        var inside = full(new long[] { Math.Max(1, depth), c, cells }, float.PositiveInfinity, ScalarType.Float32);
        var flat = pos.mul(c * cells).add_(arange(c, ScalarType.Int64).unsqueeze(1).mul(cells)).add_(cell).masked_select(finite);
        inside.view(-1).index_put_(t.masked_select(finite), flat);
        var tables = Enumerable.Range(0, depth).Select(k => inside[k].flatten().contiguous().DetachFromDisposeScope()).ToArray();
        return new ThresholdGrid(origin, cells, c, below.flatten().contiguous().DetachFromDisposeScope(), tables);
    }

    /// <summary>Elements per pass: the working set of one chunk (a few MB) stays in cache.</summary>
    public static long ChunkElements { get; set; } = 1 << 18;

    /// <summary>
    /// Replaces <paramref name="x"/> [T, rows, N] (contiguous; T x N = <see cref="Columns"/>) in place
    /// by its codes plus <paramref name="offset"/> (float32) or, with <paramref name="levels"/>
    /// ([C, 2^N] flattened: the calibrated level of each code per column), by the levels.
    /// <paramref name="cellBase"/> and <paramref name="levelBase"/> (int32, [T, 1, N]) are each
    /// element's column index times <see cref="Cells"/> and times 2^N.
    /// </summary>
    public Tensor CodesInPlace(Tensor x, Tensor cellBase, double offset = 0, Tensor? levels = null, Tensor? levelBase = null)
    {
        long rows = x.shape[1], perRow = x.shape[0] * x.shape[2];
        long chunk = Math.Max(1, ChunkElements / Math.Max(1, perRow));
        for (long start = 0; start < rows; start += chunk)
        {
            using var scope = NewDisposeScope();
            var xs = x.narrow(1, start, Math.Min(chunk, rows - start));
            var idx = xs.sub(_origin - 1).floor_().clamp_(0, Cells - 1).to_type(ScalarType.Int32).add_(cellBase);
            var flat = idx.flatten();
            var code = _base.index_select(0, flat).view(idx.shape);
            foreach (var table in _inside) code.add_(xs.ge(table.index_select(0, flat).view(idx.shape)));
            if (levels is not null) xs.copy_(levels.index_select(0, code.to_type(ScalarType.Int32).add_(levelBase!).flatten()).view(idx.shape));
            else xs.copy_(offset == 0 ? code : code.add_(offset));
        }
        return x;
    }

    public void Dispose()
    {
        _base.Dispose();
        foreach (var t in _inside) t.Dispose();
    }
}
