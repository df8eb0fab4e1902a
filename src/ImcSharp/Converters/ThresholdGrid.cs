using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using TorchSharp;
using static TorchSharp.torch;

namespace ImcSharp.Converters;

/// <summary>
/// Exact threshold counting in one pass over the partial sums instead of a sorted search.
/// The input axis is cut into 1-LSB cells: cell j(v) = clamp(floor(v) - o + 1, 0, L - 1) with
/// o = floor(lowest finite threshold), so cell 0 lies below every threshold and cell L - 1 above.
/// For cell j and column c a record holds base[c, j] = #{thresholds of c in lower cells} and the
/// (at most K) thresholds inside the cell, +inf padded. Then
///   code(x) = #{t &lt;= x} = base[c, j(x)] + sum_k [x &gt;= t_k(c, j(x))],
/// which equals a sorted search exactly: j is monotone and computed from floor(v) in integers
/// (no rounding), so a threshold in a lower (higher) cell is surely below (above) x, and those in
/// x's cell are compared unshifted. +inf thresholds never count. The output is code + offset
/// (nominal levels) or the column's calibrated level of the code.
/// Fast path (ADCs of up to 8 bits): one 32-bit word per record packs base and the first two
/// thresholds' positions on a 1/2048-LSB sub-grid, q_k = floor(2048 (t_k - floor t_k)). With
/// f = floor(2048 (x - floor x)) (exact: scaling by 2048 is exact in floating point),
/// f &gt; q means x &gt; t and f &lt; q means x &lt; t; only f = q (about one value in 2,000) or a cell
/// with more than two thresholds needs the thresholds themselves, and takes the full records.
/// The conversion is one fused, vectorized pass over the partial sums (AVX2, 8 values at a time:
/// one word lookup each, rows split over libtorch's own OpenMP team, see <see cref="TorchThreads"/>)
/// instead of a dozen tensor passes.
/// Records are stored per group of 64 columns, cell-major, so 8 neighbouring columns in one
/// cell share a cache line. Without AVX2, <see cref="TryBuild"/> returns null and the caller
/// uses its sorted search.
/// </summary>
internal sealed unsafe class ThresholdGrid : IDisposable
{
    /// <summary>Sub-cells per LSB of the packed fast path.</summary>
    const int Fine = 2048, FineBits = 11;
    /// <summary>
    /// Packed position codes: no threshold, and a cell the words cannot describe (more than two thresholds).
    /// </summary>
    const int NoThreshold = 4095, Overflow = 4094;

    readonly float _origin;          // o - 1: floor(x) - (o - 1) is x's cell
    readonly int _record;            // values per record: 1 + K
    readonly int _cellStride;        // (1 + K) 64
    readonly float _offset;
    // The tables live in native tensors owned here (no managed arrays: a chip is reprogrammed every
    // training step, and large managed allocations would drive the GC, whose finalizers then race
    // TorchSharp's own temporaries). Native memory does not move, so the raw pointers stay valid.
    readonly Tensor[] _owned;
    readonly float* _records;        // [C / 64, cells, 1 + K, 64]: base, then the cell's thresholds
    readonly int* _recordStart;      // [C] where column c's base in cell 0 sits
    readonly int* _words;            // [C / 64, cells, 64] packed records (fast path), or null
    readonly int* _wordStart;        // [C] where column c's word of cell 0 would sit if cell 0 were at floor(x) = 0
    readonly float* _levels;         // [2^N, C] calibrated levels, or null
    public long Cells { get; }
    public long Columns { get; }

    ThresholdGrid(float origin, long cells, long columns, int record, Tensor records, Tensor? words, Tensor? levels,
        float offset)
    {
        _origin = origin;
        Cells = cells;
        Columns = columns;
        _record = record;
        _offset = offset;
        _cellStride = record * Group;
        // Column c sits in group c / 64 at lane c mod 64; a group holds cells x (1 + K) x 64 records and cells x 64
        // words.
        var recordStart = empty(columns, ScalarType.Int32);
        var wordStart = empty(columns, ScalarType.Int32);
        int* rs = (int*)Pointer(recordStart), ws = (int*)Pointer(wordStart);
        for (long c = 0; c < columns; c++)
        {
            long group = c / Group, lane = c % Group;
            rs[c] = (int)(group * cells * _cellStride + lane);
            ws[c] = (int)(group * cells * Group + lane - (long)origin * Group);
        }
        _owned = new[] { records, recordStart, wordStart }.Concat(new[] { words, levels }.OfType<Tensor>())
            .Select(t => t.contiguous().DetachFromDisposeScope()).ToArray();
        _records = (float*)Pointer(_owned[0]);
        _recordStart = (int*)Pointer(_owned[1]);
        _wordStart = (int*)Pointer(_owned[2]);
        _words = words is null ? null : (int*)Pointer(_owned[3]);
        _levels = levels is null ? null : (float*)Pointer(_owned[^1]);
    }

    static void* Pointer(Tensor t) => NativeData.Pointer(t);

    public void Dispose()
    {
        foreach (var t in _owned) t.Dispose();
    }

    /// <summary>
    /// Columns whose records are stored together (cell-major within the group): 8 neighbouring columns in one cell
    /// share a cache line.
    /// </summary>
    const int Group = 64;

    /// <summary>
    /// The grid of sorted per-column thresholds [C, 2^N - 1] (layer LSB units). Outputs are
    /// code + <paramref name="offset"/>, or with <paramref name="levels"/> ([C, 2^N]) the column's
    /// level of the code. Null without AVX2, for -inf thresholds, when a cell would hold more than
    /// <paramref name="maxDepth"/> thresholds, or when the table would not fit 32-bit indices.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static ThresholdGrid? TryBuild(Tensor sortedColumns, double offset, Tensor? levels = null, int maxDepth = 8,
        long maxCells = 1 << 16)
    {
        if (!Avx2.IsSupported || sortedColumns.device_type != DeviceType.CPU) return null;
        using var scope = NewDisposeScope();
        // One pass over the tables in place (a per-chip table built from a few dozen tensor ops cost more than
        // converting a batch).
        var t = sortedColumns.to_type(ScalarType.Float32).contiguous();
        long c = t.size(0), m = t.size(1);
        float* th = (float*)Pointer(t);
        float min = float.PositiveInfinity, max = float.NegativeInfinity;
        for (long i = 0; i < c * m; i++)
        {
            float v = th[i];
            if (float.IsNegativeInfinity(v)) return null;   // -inf: leave to the sorted search
            if (float.IsFinite(v)) { min = Math.Min(min, v); max = Math.Max(max, v); }
        }
        bool any = min <= max;
        double lo = any ? Math.Floor(min) : 0, hi = any ? Math.Floor(max) : 0;
        long cells = (long)(hi - lo) + 3;
        if (cells > maxCells) return null;
        // The cell of a threshold, from floor(t) in integers: the same rule the conversion applies.
        long Cell(float v) => (long)Math.Floor(v) - ((long)lo - 1);
        // Each column is sorted with its finite thresholds first: a cell's thresholds are one run.
        int depth = 0;
        for (long col = 0; col < c; col++)
        {
            float* row = th + col * m;
            for (long i = 0, run = 0; i < m && float.IsFinite(row[i]); i++)
            {
                run = i > 0 && Cell(row[i]) == Cell(row[i - 1]) ? run + 1 : 1;
                depth = Math.Max(depth, (int)run);
            }
        }
        if (depth > maxDepth) return null;
        // Per group of 64 columns, cell-major and one vector per record field: 8 neighbouring
        // columns in the same cell share a cache line.
        long groups = (c + Group - 1) / Group, record = 1 + depth;
        if (groups * Group * cells * record >= int.MaxValue) return null;
        var records = full(new long[] { groups, cells, record, Group }, float.PositiveInfinity, ScalarType.Float32);
        float* r = (float*)Pointer(records);
        // Cell-major within a group, as stored: each lane keeps its place in its column's sorted thresholds.
        long* next = stackalloc long[Group];
        long* finite = stackalloc long[Group];
        for (long g = 0; g < groups; g++)
        {
            for (int lane = 0; lane < Group; lane++)
            {
                long col = g * Group + lane;
                next[lane] = 0;
                finite[lane] = 0;
                if (col < c) while (finite[lane] < m && float.IsFinite(th[col * m + finite[lane]])) finite[lane]++;
            }
            for (long j = 0; j < cells; j++)
            {
                float* rec = r + (g * cells + j) * record * Group;
                for (int lane = 0; lane < Group; lane++)
                {
                    float* row = th + (g * Group + lane) * m;
                    long i = next[lane];
                    rec[lane] = i;                                                 // thresholds in lower cells
                    for (long k = 1; i < finite[lane] && Cell(row[i]) == j; i++, k++) rec[k * Group + lane] = row[i];
                    next[lane] = i;
                }
            }
        }
        // The packed words need base < 256 (at most 255 thresholds: 8 bits), and 2048 x on the cell
        // range must be an exact float (below 2^24).
        bool packable = m <= 255 && (Math.Abs(lo) + cells + 2) * Fine < 1 << 24;
        return new ThresholdGrid((float)lo - 1, cells, c, (int)record, records, packable
            ? Words(r, groups * cells, depth) : null,
            levels?.to_type(ScalarType.Float32).t(), (float)offset);
    }

    /// <summary>Packs each record [.., 1 + K, 64] into base | q1 &lt;&lt; 8 | q2 &lt;&lt; 20 (int32 bits).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    static Tensor Words(float* records, long cellRecords, int depth)
    {
        var words = empty(new long[] { cellRecords, Group }, ScalarType.Int32);
        int* w = (int*)Pointer(words);
        long record = 1 + depth;
        for (long n = 0; n < cellRecords; n++)
        for (int lane = 0; lane < Group; lane++)
        {
            float* rec = records + n * record * Group + lane;
            uint Position(int k)
            {
                if (k > depth || float.IsInfinity(rec[k * Group])) return NoThreshold;
                double t = rec[k * Group];
                return (uint)Math.Floor((t - Math.Floor(t)) * Fine);
            }
            uint q1 = depth > 2 && float.IsFinite(rec[3 * Group]) ? Overflow : Position(1);
            w[n * Group + lane] = (int)((uint)rec[0] + (q1 << 8) + (Position(2) << 20));
        }
        return words;
    }

    /// <summary>Rows handed to one task.</summary>
    const int RowsPerTask = 64;

    /// <summary>
    /// Replaces <paramref name="x"/> [T, rows, N] (contiguous float32, T x N = <see cref="Columns"/>;
    /// element (t, r, n) is read by column t N + n) in place by its outputs.
    /// </summary>
    public Tensor ConvertInPlace(Tensor x)
    {
        if (x.dtype != ScalarType.Float32 || !x.is_contiguous() || x.dim() != 3 || x.size(0) * x.size(2) != Columns)
            throw new ArgumentException(
                $"threshold grid: expected contiguous float32 [T, rows, N] with T N = {Columns}, " +
                $"got {x.dtype} [{string.Join(", ", x.Sizes())}]");
        long tiles = x.size(0), rows = x.size(1), n = x.size(2);
        if (x.numel() == 0) return x;
        nint data = (nint)NativeData.Pointer(x);
        // Tasks of whole rows, walked in memory order: column blocks walked down strided rows made
        // gathers and in-place stores collide (4 KiB aliasing) and ran 3x slower.
        long blocks = (rows + RowsPerTask - 1) / RowsPerTask, tasks = tiles * blocks;
        int threads = Math.Max(1, Math.Min(get_num_threads(), (int)Math.Min(int.MaxValue, tasks)));
        void Task(long k)
        {
            long tile = k / blocks, r0 = k % blocks * RowsPerTask, r1 = Math.Min(rows, r0 + RowsPerTask);
            Run((float*)data + (tile * rows + r0) * n, (int)(r1 - r0), (int)n, (int)(tile * n));
        }
        TorchThreads.For(tasks, threads, Task);
        return x;
    }

    /// <summary>
    /// Converts <paramref name="rows"/> consecutive rows of <paramref name="n"/> values in place,
    /// read by columns <paramref name="column"/> .. + n - 1.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    void Run(float* x, int rows, int n, int column)
    {
        float* records = _records, levels = _levels;
        int* words = _words, recordStart = _recordStart + column, wordStart = _wordStart + column;
        var lowestFine = Vector256.Create(_origin * Fine);
        var highestFine = Vector256.Create((_origin + Cells) * Fine - 1);
        var fine = Vector256.Create((float)Fine);
        var low8 = Vector256.Create(0xFF);
        var low12 = Vector256.Create(0xFFF);
        var fraction = Vector256.Create(Fine - 1);
        var overflow = Vector256.Create(Overflow);
        var offset = Vector256.Create(_offset);
        var columns = Vector256.Create((int)Columns);
        var lane = Vector256.Create(0, 1, 2, 3, 4, 5, 6, 7);
        for (int r = 0; r < rows; r++, x += n)
        {
            int j = 0;
            for (; j <= n - 8; j += 8)
            {
                var v = Avx.LoadVector256(x + j);
                Vector256<int> code;
                if (words is null)
                    code = Exact(v, records, recordStart + j);
                else
                {
                    // s = floor(2048 x) on the clamped range: cell = s >> 11, f = s mod 2048.
                    var s = Avx.ConvertToVector256Int32WithTruncation(
                        Avx.Floor(Avx.Min(Avx.Max(Avx.Multiply(v, fine), lowestFine), highestFine)));
                    var i = Avx2.Add(Avx2.LoadVector256(wordStart + j),
                        Avx2.ShiftLeftLogical(Avx2.ShiftRightArithmetic(s, FineBits), 6));
                    // Eight scalar loads: faster than the AVX2 gather instruction on the machines measured.
                    var w = Vector256.Create(words[i.GetElement(0)], words[i.GetElement(1)], words[i.GetElement(2)],
                        words[i.GetElement(3)], words[i.GetElement(4)], words[i.GetElement(5)], words[i.GetElement(6)],
                        words[i.GetElement(7)]);
                    var f = Avx2.And(s, fraction);
                    var q1 = Avx2.And(Avx2.ShiftRightLogical(w, 8), low12);
                    var q2 = Avx2.ShiftRightLogical(w, 20);
                    var undecided =
                        Avx2.Or(Avx2.Or(Avx2.CompareEqual(f, q1), Avx2.CompareEqual(f, q2)),
                        Avx2.CompareEqual(q1, overflow));
                    code = Avx.TestZ(undecided, undecided)
                        // true = -1
                        ? Avx2.Subtract(Avx2.Subtract(Avx2.And(w, low8), Avx2.CompareGreaterThan(f, q1)),
                            Avx2.CompareGreaterThan(f, q2))
                        : Exact(v, records, recordStart + j);
                }
                // Calibrated levels are stored code-major ([2^N, C]) for the same locality.
                var level = levels is null
                    ? Avx.Add(Avx.ConvertToVector256Single(code), offset)
                    : Avx2.GatherVector256(levels,
                        Avx2.Add(Avx2.Add(Vector256.Create(column + j), lane), Avx2.MultiplyLow(code, columns)), 4);
                Avx.Store(x + j, level);
            }
            for (; j < n; j++)   // the last n mod 8 values: the full records, one value at a time
            {
                float v = x[j];
                int cell = (int)Math.Min(Math.Max(MathF.Floor(v), _origin), _origin + (Cells - 1)) - (int)_origin;
                float* rec = records + recordStart[j] + cell * _cellStride;
                float code = rec[0];
                for (int k = 1; k < _record; k++) code += v >= rec[k * Group] ? 1 : 0;
                x[j] = levels is null ? code + _offset : levels[column + j + (int)code * Columns];
            }
        }
    }

    /// <summary>Codes of 8 values from the full records: base plus a compare per threshold of the cell.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    Vector256<int> Exact(Vector256<float> v, float* records, int* recordStart)
    {
        // Cell in float (clamped before the int conversion, so huge values cannot overflow), then the record index.
        var cell = Avx.ConvertToVector256Int32WithTruncation(Avx.Min(Avx.Max(Avx.Floor(v), Vector256.Create(_origin)),
            Vector256.Create(_origin + (Cells - 1))));
        var at = Avx2.Add(Avx2.LoadVector256(recordStart),
            Avx2.MultiplyLow(Avx2.Subtract(cell, Vector256.Create((int)_origin)), Vector256.Create(_cellStride)));
        var code = Avx2.GatherVector256(records, at, 4);
        for (int k = 1; k < _record; k++)
        {
            var t = Avx2.GatherVector256(records, Avx2.Add(at, Vector256.Create(k * Group)), 4);
            code = Avx.Add(code, Avx.And(Avx.CompareGreaterThanOrEqual(v, t), Vector256.Create(1f)));
        }
        return Avx.ConvertToVector256Int32WithTruncation(code);
    }
}
