using static TorchSharp.torch;

namespace ImcSharp.Nn;

/// <summary>The kinds of digital (non-crossbar) work a network does, as the cost model prices them.</summary>
public enum DigitalOpKind
{
    /// <summary>A product between two activations (attention's Q K^T and A V): MACs, no static weights.</summary>
    MatMul,
    /// <summary>Softmax along a row: per element one exp, one add (the row sum) and one multiply (by 1/sum).</summary>
    Softmax,
    /// <summary>LayerNorm along a row: per element a sum, a square, a subtract, a scale and the affine.</summary>
    LayerNorm,
    /// <summary>GELU (or its erf): per element one transcendental and two multiplies and an add.</summary>
    Gelu,
    /// <summary>
    /// An LSTM step's digital work per hidden unit: the four gate sums, three sigmoids and two tanh, c = f c + i g,
    /// h = o tanh(c).
    /// </summary>
    LstmCell,
    /// <summary>
    /// A GRU step's digital work per hidden unit: the gate sums, two sigmoids and a tanh, r times the recurrent
    /// candidate term, h = (1 - z) n + z h.
    /// </summary>
    GruCell,
}

/// <summary>
/// One digital operation of a network as recorded by one forward: <see cref="Rows"/> rows per sample of
/// <see cref="RowLength"/> elements (softmax, LayerNorm, GELU), or for <see cref="DigitalOpKind.MatMul"/> a product of
/// [Rows, RowLength] by [RowLength, Columns] per sample.
/// </summary>
public sealed record DigitalOp(string Name, DigitalOpKind Kind, long Rows, long RowLength, long Columns = 1);

/// <summary>
/// The digital operations attention and normalisation run between the crossbars: pure functions over tensors that
/// also tell a <see cref="DigitalOps.Recorder"/>, when one listens, how much work they did (the cost model prices
/// it: <see cref="Cost.CoreCostModel"/>). They carry no weights a crossbar could hold: Q K^T and A V multiply two
/// activations, both new with every input (writing them into arrays per inference is not modelled), so a design runs
/// them in its digital back end.
/// </summary>
public static class DigitalOps
{
    /// <summary>
    /// Collects the operations of one forward (<see cref="LayerShapes"/>); ops of one name add up (a layer called
    /// at every step). Per sample: the batch is divided out.
    /// </summary>
    public sealed class Recording
    {
        readonly List<DigitalOp> _ops = new();
        /// <summary>The operations, in the order first seen.</summary>
        public IReadOnlyList<DigitalOp> Ops => _ops;

        internal void Add(string name, DigitalOpKind kind, long rows, long rowLength, long columns)
        {
            int i = _ops.FindIndex(o => o.Name == name && o.Kind == kind);
            if (i < 0) _ops.Add(new DigitalOp(name, kind, rows, rowLength, columns));
            else _ops[i] = _ops[i] with { Rows = _ops[i].Rows + rows };
        }
    }

    [ThreadStatic] static Recording? _recorder;

    /// <summary>The recording the operations report to on this thread (null: none).</summary>
    public static Recording? Recorder { get => _recorder; set => _recorder = value; }

    static void Record(string name, DigitalOpKind kind, Tensor x, long rowLength, long columns, long batch)
    {
        if (_recorder is null) return;
        long rows = x.numel() / rowLength / Math.Max(1, batch);
        _recorder.Add(name, kind, rows, rowLength, columns);
    }

    /// <summary>
    /// a [.., M, K] times b [.., K, N] (batched), both activations: M K N MACs per matrix pair.
    /// <paramref name="batch"/> is the leading (sample) size the work is divided by.
    /// </summary>
    public static Tensor MatMul(string name, Tensor a, Tensor b, long batch)
    {
        Record(name, DigitalOpKind.MatMul, a, a.size(-1), b.size(-1), batch);
        return a.matmul(b);
    }

    /// <summary>softmax(x)_i = exp(x_i - max x) / sum_j exp(x_j - max x) along <paramref name="dim"/>.</summary>
    public static Tensor Softmax(string name, Tensor x, long dim, long batch)
    {
        Record(name, DigitalOpKind.Softmax, x, x.size((int)dim), 1, batch);
        return x.softmax(dim < 0 ? dim + x.dim() : dim);
    }

    /// <summary>
    /// LayerNorm over the last dimension (D): y = (x - mean) / sqrt(var + eps) * weight + bias, var the biased
    /// variance over D.
    /// </summary>
    public static Tensor LayerNorm(string name, Tensor x, Tensor? weight, Tensor? bias, double eps, long batch)
    {
        Record(name, DigitalOpKind.LayerNorm, x, x.size(-1), 1, batch);
        return nn.functional.layer_norm(x, new[] { x.size(-1) }, weight, bias, eps);
    }

    /// <summary>GELU, exact: y = x Phi(x) = x (1 + erf(x / sqrt 2)) / 2.</summary>
    public static Tensor Gelu(string name, Tensor x, long batch)
    {
        Record(name, DigitalOpKind.Gelu, x, x.size(-1), 1, batch);
        return nn.functional.gelu(x);
    }

    /// <summary>
    /// Counts element-wise digital work computed elsewhere, over rows of <paramref name="x"/>'s last dimension: a
    /// recurrent step's gates (<see cref="DigitalOpKind.LstmCell"/>, <see cref="DigitalOpKind.GruCell"/>) over its new
    /// hidden state [B, H], GELU's tanh approximation.
    /// </summary>
    public static void Count(string name, DigitalOpKind kind, Tensor x, long batch) =>
        Record(name, kind, x, x.size(-1), 1, batch);

    /// <summary>erf(x), priced as GELU's transcendental (an exporter writes GELU as x (1 + erf(x / sqrt 2)) / 2).
    /// </summary>
    public static Tensor Erf(string name, Tensor x, long batch)
    {
        Record(name, DigitalOpKind.Gelu, x, x.dim() == 0 ? 1 : x.size(-1), 1, batch);
        return x.erf();
    }
}
