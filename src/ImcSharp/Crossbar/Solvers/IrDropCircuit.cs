using System.Runtime.Intrinsics;
using static TorchSharp.torch;

namespace ImcSharp.Crossbar;

/// <summary>
/// The resistive network of one current-mode array of R rows and C columns (all in ohm). Row i's
/// driver, a source v_i behind <see cref="Driver"/>, feeds its word line at column 0; word-line
/// segments of <see cref="WordLine"/> join the cells of a row (the first between the driver and
/// cell 0); cell (i, j), of conductance G_ij, joins word-line node (i, j) to bit-line node (i, j);
/// bit-line segments of <see cref="BitLine"/> join a column's rows down to its sense node (the last
/// between row R-1 and it), held at virtual ground behind <see cref="Sense"/> (the converter's
/// input resistance). A column's current I_j is what flows into its sense node.
/// </summary>
public sealed record IrDropNetwork(double WordLine, double BitLine, double Driver, double Sense);

/// <summary>
/// Input-dependent IR drop, solved. With linear cells the network is linear, so column currents are
/// I_col = M v for row voltages v: one transfer matrix M [C, R] (S) per array, exact for every input
/// (a cell with no input still conducts: sneak currents from the raised bit line are in M). Its
/// cell currents I [R, C] solve I = G (v - A I), where A I is the word line's drop plus the bit
/// line's rise at each cell (V), by the shared stretch of wire between two cells' paths, computed
/// by running sums along the lines (the current through word-line segment m is the sum of the cells'
/// currents from column m on, through bit-line segment m that of rows 0..m):
///   (A I)_ij = sum_k I_ik (R_d + r_w (min(j, k) + 1)) + sum_k I_kj (R_s + r_b (R - max(i, k))).
/// A is symmetric and positive semi-definite (a passive network), so with D = sqrt(G) and I = D y,
/// (1 + D A D) y = D v is symmetric positive definite with eigenvalues in [1, 1 + lambda_max(G A)]:
/// conjugate gradients converge in a few tens of steps at any size (<see cref="Transfer"/>).
/// <see cref="IrDropExact"/> solves the same network by nodal analysis, the reference.
/// </summary>
public static class IrDropCircuit
{
    /// <summary>
    /// Transfer matrices M [A, C, R] (S, float64) of arrays with conductances <paramref name="g"/>
    /// [A, R, C] (S): column j's current for 1 V on row i alone, every other driver at 0 V. Conjugate
    /// gradients, one system per array and input row, each on one thread in float64 C# (no fused
    /// multiply-add, a fixed order), so the same chip gives the same matrix on any CPU and thread count,
    /// to a relative residual below <paramref name="tolerance"/>. Returns the steps the slowest system took.
    /// </summary>
    public static unsafe (Tensor Transfer, int Steps) Transfer(Tensor g, IrDropNetwork n, double tolerance = 1e-10)
    {
        long arrays = g.size(0), R = g.size(1), C = g.size(2);
        // Without resistance each cell passes its own current: M = G^T, exactly.
        if (n is { WordLine: 0, BitLine: 0, Driver: 0, Sense: 0 })
            return (g.to_type(ScalarType.Float64).transpose(1, 2).contiguous(), 0);
        using var gd = g.to_type(ScalarType.Float64).cpu().contiguous();
        var result = zeros(new[] { arrays, C, R }, ScalarType.Float64);
        double* cells = (double*)NativeData.Pointer(gd), transfer = (double*)NativeData.Pointer(result);
        int steps = 0;
        var lines = new Lines((int)R, (int)C, n);
        long blocks = (R + Lanes - 1) / Lanes;
        TorchThreads.For(arrays * blocks, Math.Max(1, get_num_threads()), k =>
        {
            long a = k / blocks;
            int first = (int)(k % blocks) * Lanes;
            int taken = lines.Solve(cells + a * R * C, first, transfer + a * C * R, tolerance);
            int seen;
            while (taken > (seen = Volatile.Read(ref steps))
                && Interlocked.CompareExchange(ref steps, taken, seen) != seen) { }
        });
        return (result, steps);
    }

    /// <summary>Input rows solved together, one per lane of a 256-bit vector.</summary>
    const int Lanes = 4;

    /// <summary>
    /// One array's conjugate-gradient solves for four input rows at once, one per vector lane, on pooled
    /// buffers. Each lane runs the scalar method's operations in the scalar order (element-wise adds,
    /// multiplies and divides, no fused multiply-add, dot products summed cell by cell), and a lane that has
    /// converged stops moving (step 0), so every row's result is the one it would get alone.
    /// </summary>
    sealed unsafe class Lines(int rows, int columns, IrDropNetwork n)
    {
        readonly int _size = rows * columns;

        /// <summary>
        /// Solves for 1 V on each of rows <paramref name="first"/> .. + 3 (those below the array's rows);
        /// writes M[:, row] (stride rows) into <paramref name="m"/>; returns the steps of the slowest.
        /// </summary>
        public int Solve(double* g, int first, double* m, double tolerance)
        {
            var pool = System.Buffers.ArrayPool<double>.Shared;
            var vectors = System.Buffers.ArrayPool<Vector256<double>>.Shared;
            double[] d = pool.Rent(_size);
            Vector256<double>[] y = vectors.Rent(_size), r = vectors.Rent(_size), p = vectors.Rent(_size),
                q = vectors.Rent(_size), prefix = vectors.Rent(_size), line = vectors.Rent(Math.Max(rows, columns) * 2);
            try
            {
                for (int k = 0; k < _size; k++) d[k] = Math.Sqrt(g[k]);
                // Lane l drives row first + l; lanes past the last row repeat it and are not written.
                var lane = new int[Lanes];
                for (int l = 0; l < Lanes; l++) lane[l] = Math.Min(first + l, rows - 1);
                Vector256<double> Rhs(int k) => Vector256.Create(
                    k / columns == lane[0] ? d[k] : 0, k / columns == lane[1] ? d[k] : 0,
                    k / columns == lane[2] ? d[k] : 0, k / columns == lane[3] ? d[k] : 0);
                // b = D e_row: the driven row's sqrt(G); start from no drop (y = b).
                var bb = Vector256<double>.Zero;
                for (int k = 0; k < _size; k++)
                {
                    y[k] = Rhs(k);
                    bb += y[k] * y[k];
                }
                Apply(d, y, q, prefix, line);
                var rr = Vector256<double>.Zero;
                for (int k = 0; k < _size; k++)
                {
                    r[k] = Rhs(k) - q[k];
                    p[k] = r[k];
                    rr += r[k] * r[k];
                }
                var tiny = Vector256.Create(1e-300);
                var limit = Vector256.Create(tolerance * tolerance) * Vector256.Max(bb, tiny);
                int step = 0;
                for (var moving = Vector256.GreaterThan(rr, limit); moving != Vector256<double>.Zero; step++)
                {
                    if (step == 10_000)
                        throw new InvalidOperationException(
                            "IR drop: conjugate gradients did not converge in 10,000 steps");
                    Apply(d, p, q, prefix, line);
                    var pq = Vector256<double>.Zero;
                    for (int k = 0; k < _size; k++) pq += p[k] * q[k];
                    var alpha = Vector256.ConditionalSelect(moving, rr / Vector256.Max(pq, tiny),
                        Vector256<double>.Zero);
                    var next = Vector256<double>.Zero;
                    for (int k = 0; k < _size; k++)
                    {
                        y[k] += alpha * p[k];
                        r[k] -= alpha * q[k];
                        next += r[k] * r[k];
                    }
                    var beta = next / rr;
                    for (int k = 0; k < _size; k++) p[k] = r[k] + beta * p[k];
                    rr = Vector256.ConditionalSelect(moving, next, rr);
                    moving = Vector256.GreaterThan(rr, limit);
                }
                // Column currents: I_col[j] = sum_i sqrt(G_ij) y_ij.
                for (int j = 0; j < columns; j++)
                {
                    var sum = Vector256<double>.Zero;
                    for (int i = 0; i < rows; i++) sum += Vector256.Create(d[i * columns + j]) * y[i * columns + j];
                    for (int l = 0; l < Lanes && first + l < rows; l++) m[(long)j * rows + first + l] = sum[l];
                }
                return step;
            }
            finally
            {
                pool.Return(d);
                foreach (var b in new[] { y, r, p, q, prefix, line }) vectors.Return(b);
            }
        }

        /// <summary>
        /// q = p + D A (D p) for each lane: per row, the suffix sums of the cell currents u = D p
        /// and their running sum (word line); per column, the prefix sums down the rows, then their sums
        /// from each row to the last (bit line).
        /// </summary>
        void Apply(double[] d, Vector256<double>[] p, Vector256<double>[] q, Vector256<double>[] prefix,
            Vector256<double>[] line)
        {
            var total = line.AsSpan(0, columns);
            total.Clear();
            var driver = Vector256.Create(n.Driver);
            var wordLine = Vector256.Create(n.WordLine);
            for (int i = 0; i < rows; i++)
            {
                int o = i * columns;
                var beyond = Vector256<double>.Zero;
                for (int j = columns - 1; j >= 0; j--)
                {
                    var u = Vector256.Create(d[o + j]) * p[o + j];
                    beyond += u;
                    q[o + j] = beyond;                                 // S_j, for now
                    total[j] += u;
                    prefix[o + j] = total[j];                          // P_i for column j
                }
                var run = driver * q[o];
                for (int j = 0; j < columns; j++)
                {
                    run += wordLine * q[o + j];
                    q[o + j] = run;                                    // word-line drop at (i, j)
                }
            }
            var below = line.AsSpan(columns, columns);
            below.Clear();
            var sense = Vector256.Create(n.Sense);
            var bitLine = Vector256.Create(n.BitLine);
            for (int i = rows - 1; i >= 0; i--)
            {
                int o = i * columns;
                for (int j = 0; j < columns; j++)
                {
                    below[j] += prefix[o + j];
                    var rise = sense * total[j] + bitLine * below[j];
                    q[o + j] = p[o + j] + Vector256.Create(d[o + j]) * (q[o + j] + rise);
                }
            }
        }
    }
}
