namespace ImcSharp.Crossbar;

/// <summary>
/// The IR-drop network (<see cref="IrDropNetwork"/>) by nodal analysis, the reference for small
/// arrays: unknowns the word-line and bit-line node voltages (2 R C), ordered cell by cell, row by
/// row (word line, then bit line), so the conductance matrix Y is banded (half-bandwidth 2 C: a
/// bit-line segment joins a cell to the one a row below). Kirchhoff's current law at each node,
///   word line (i, j): (g_left + g_right + G_ij) V_w - g_left V_w(i, j-1) - g_right V_w(i, j+1) - G_ij V_b = source,
///   bit line (i, j):  (G_ij + g_up + g_down) V_b - G_ij V_w - g_up V_b(i-1, j) - g_down V_b(i+1, j) = 0,
/// with g = 1 / r per wire segment, the driver's 1 / (R_d + r_w) at column 0 (source v_i / (R_d + r_w))
/// and the sense node's 1 / (r_b + R_s) below row R-1; Y = L L^T by a banded Cholesky factorization
/// (float64), then one forward and back substitution per input. Needs r_w, r_b &gt; 0 (a zero segment
/// merges two nodes). Cost: 2 R C (2 C)^2 / 2 to factor, 8 R C^2 per input.
/// </summary>
public static class IrDropExact
{
    /// <summary>
    /// Transfer matrix M [C, R] (S) of one array with conductances <paramref name="g"/> [R, C] (S): column
    /// j's current for 1 V on row i alone (see <see cref="IrDropCircuit"/>).
    /// </summary>
    public static double[,] Transfer(double[,] g, IrDropNetwork n)
    {
        if (n.WordLine <= 0 || n.BitLine <= 0)
            throw new ArgumentException("the nodal solver needs word-line and bit-line segments of more than 0 ohm");
        int R = g.GetLength(0), C = g.GetLength(1), size = 2 * R * C, band = 2 * C;
        var factor = Factor(Conductances(g, n, band), size, band);
        var transfer = new double[C, R];
        double source = 1 / (n.Driver + n.WordLine), sense = 1 / (n.BitLine + n.Sense);
        var v = new double[size];
        for (int row = 0; row < R; row++)
        {
            Array.Clear(v);
            v[Node(row, 0, C, bitLine: false)] = source;                    // 1 V behind the driver
            Substitute(factor, v, size, band);
            for (int j = 0; j < C; j++) transfer[j, row] = v[Node(R - 1, j, C, bitLine: true)] * sense;
        }
        return transfer;
    }

    static int Node(int i, int j, int columns, bool bitLine) => 2 * (i * columns + j) + (bitLine ? 1 : 0);

    /// <summary>The lower band of Y: y[k][m] is Y(k, k - m) for m = 0..band.</summary>
    static double[][] Conductances(double[,] g, IrDropNetwork n, int band)
    {
        int R = g.GetLength(0), C = g.GetLength(1);
        var y = new double[2 * R * C][];
        for (int k = 0; k < y.Length; k++) y[k] = new double[band + 1];
        double gw = 1 / n.WordLine, gb = 1 / n.BitLine;
        double source = 1 / (n.Driver + n.WordLine), sense = 1 / (n.BitLine + n.Sense);
        void Add(int a, int b, double value)                       // symmetric: store the lower triangle
        {
            var (hi, lo) = a >= b ? (a, b) : (b, a);
            y[hi][hi - lo] += value;
        }
        for (int i = 0; i < R; i++)
            for (int j = 0; j < C; j++)
            {
                int w = Node(i, j, C, false), b = Node(i, j, C, true);
                Add(w, w, g[i, j]);
                Add(b, b, g[i, j]);
                Add(w, b, -g[i, j]);
                Add(w, w, j == 0 ? source : gw);                   // toward the driver
                if (j + 1 < C)
                {
                    int right = Node(i, j + 1, C, false);
                    Add(w, w, gw);
                    Add(w, right, -gw);
                }
                if (i + 1 < R)
                {
                    int below = Node(i + 1, j, C, true);
                    Add(b, b, gb);
                    Add(below, below, gb);
                    Add(b, below, -gb);
                }
                else Add(b, b, sense);                             // toward the sense node
            }
        return y;
    }

    /// <summary>Banded Cholesky Y = L L^T in place (L in the same band layout).</summary>
    static double[][] Factor(double[][] y, int size, int band)
    {
        for (int k = 0; k < size; k++)
            for (int m = Math.Min(band, k); m >= 0; m--)
            {
                int c = k - m;                                     // column of entry (k, c)
                double s = y[k][m];
                int first = Math.Max(k - band, c - band);
                for (int t = Math.Max(first, 0); t < c; t++) s -= y[k][k - t] * y[c][c - t];
                if (m == 0)
                {
                    if (s <= 0)
                        throw new InvalidOperationException("IR drop: the conductance matrix is not positive definite");
                    y[k][0] = Math.Sqrt(s);
                }
                else y[k][m] = s / y[c][0];
            }
        return y;
    }

    /// <summary>Solves L L^T x = v in place.</summary>
    static void Substitute(double[][] l, double[] v, int size, int band)
    {
        for (int k = 0; k < size; k++)
        {
            double s = v[k];
            for (int t = Math.Max(0, k - band); t < k; t++) s -= l[k][k - t] * v[t];
            v[k] = s / l[k][0];
        }
        for (int k = size - 1; k >= 0; k--)
        {
            double s = v[k];
            for (int t = k + 1; t <= Math.Min(size - 1, k + band); t++) s -= l[t][t - k] * v[t];
            v[k] = s / l[k][0];
        }
    }
}
