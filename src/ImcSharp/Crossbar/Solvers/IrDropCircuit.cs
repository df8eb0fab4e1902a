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
/// line's rise at each cell (V), by the shared stretch of wire between two cells' paths:
///   (A I)_ij = sum_k I_ik (R_d + r_w (min(j, k) + 1)) + sum_k I_kj (R_s + r_b (R - max(i, k))).
/// A is symmetric and positive semi-definite (a passive network), so with D = sqrt(G) and I = D y,
/// (1 + D A D) y = D v is symmetric positive definite with eigenvalues in [1, 1 + lambda_max(G A)]:
/// conjugate gradients converge in a few tens of steps at any size (<see cref="Transfer"/>).
/// <see cref="IrDropExact"/> solves the same network by nodal analysis, the reference.
/// </summary>
public static class IrDropCircuit
{
    /// <summary>
    /// A I for cell currents <paramref name="i"/> [.., R, C] (A): word-line drop plus bit-line rise at
    /// each cell (V), by running sums along the lines: the current through word-line segment m is the
    /// sum of the cells' currents from column m on, through bit-line segment m that of rows 0..m.
    /// </summary>
    public static Tensor Drops(Tensor i, IrDropNetwork n)
    {
        long rows = i.size(-2);
        var beyond = i.flip(-1).cumsum(-1).flip(-1);                                  // S_m = sum_{k >= m} I_ik
        var wordLine = beyond.cumsum(-1).mul_(n.WordLine).add_(beyond.narrow(-1, 0, 1) * n.Driver);
        var above = i.cumsum(-2);                                                     // P_m = sum_{k <= m} I_kj
        var bitLine = above.flip(-2).cumsum(-2).flip(-2).mul_(n.BitLine)
            .add_(above.narrow(-2, rows - 1, 1) * n.Sense);
        return wordLine.add_(bitLine);
    }

    /// <summary>
    /// Transfer matrices M [A, C, R] (S) of arrays with conductances <paramref name="g"/> [A, R, C] (S):
    /// column j's current for 1 V on row i alone, every other driver at 0 V. Conjugate gradients on
    /// the R unit inputs at once (float64), in blocks of inputs of at most <paramref name="maxElements"/>
    /// values a tensor (16 MB: glibc serves blocks up to 32 MB from its heap, larger ones fault every
    /// page in again), to a relative residual below <paramref name="tolerance"/>.
    /// Returns the steps the slowest block took.
    /// </summary>
    public static (Tensor Transfer, int Steps) Transfer(Tensor g, IrDropNetwork n, double tolerance = 1e-10,
        long maxElements = 1 << 21)
    {
        long arrays = g.size(0), R = g.size(1), C = g.size(2);
        // Without resistance each cell passes its own current: M = G^T, exactly.
        if (n is { WordLine: 0, BitLine: 0, Driver: 0, Sense: 0 })
            return (g.to_type(ScalarType.Float64).transpose(1, 2).contiguous(), 0);
        var result = zeros(new[] { arrays, C, R }, ScalarType.Float64);
        int steps = 0;
        long block = Math.Max(1, Math.Min(R, maxElements / (R * C)));
        for (long a = 0; a < arrays; a++)
        {
            using var scope = NewDisposeScope();
            var d = g[a].to_type(ScalarType.Float64).sqrt();                           // [R, C]
            for (long r0 = 0; r0 < R; r0 += block)
            {
                long count = Math.Min(block, R - r0);
                // Right-hand sides D v for v = e_r: row r of D, nothing elsewhere.
                var b = zeros(new[] { count, R, C }, ScalarType.Float64);
                for (long k = 0; k < count; k++) b[k, r0 + k].copy_(d[r0 + k]);
                var (y, taken) = Solve(d, b, n, tolerance);
                steps = Math.Max(steps, taken);
                var columns = (d * y).sum(1);                                        // [count, C]: I_col per input
                result[a].narrow(1, r0, count).copy_(columns.t());
            }
        }
        return (result, steps);
    }

    /// <summary>
    /// Conjugate gradients for (1 + D A D) y = b, one system per leading index of <paramref name="b"/>.
    /// </summary>
    static (Tensor Y, int Steps) Solve(Tensor d, Tensor b, IrDropNetwork n, double tolerance)
    {
        Tensor Apply(Tensor y) => y + d * Drops(d * y, n);
        long[] dims = { 1, 2 };
        var y = b.clone();                                            // start from no drop at all
        var r = b - Apply(y);
        var p = r.clone();
        var rr = r.square().sum(dims, keepdim: true);
        var bb = b.square().sum(dims, keepdim: true).clamp_min(1e-300);
        double limit = tolerance * tolerance;
        for (int step = 0; step < 10_000; step++)
        {
            // Each step's temporaries freed with it: fresh pages for every one cost more than the arithmetic.
            using var scope = NewDisposeScope();
            if ((rr / bb).max().item<double>() <= limit) return (y, step);
            var q = Apply(p);
            var alpha = rr / (p * q).sum(dims, keepdim: true).clamp_min(1e-300);
            y.add_(alpha * p);
            r.sub_(alpha * q);
            var next = r.square().sum(dims, keepdim: true);
            p.mul_(next / rr.clamp_min(1e-300)).add_(r);
            rr.copy_(next);
        }
        throw new InvalidOperationException("IR drop: conjugate gradients did not converge in 10,000 steps");
    }
}
