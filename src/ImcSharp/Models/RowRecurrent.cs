using TorchSharp;
using static TorchSharp.torch;

namespace ImcSharp.Models;

/// <summary>
/// A recurrent layer over sequences x [B, T, I]: its gates' input projection W_ih [G H, I] (+ b_ih) and recurrent
/// projection W_hh [G H, H] (+ b_hh) are torch Linear layers, so a conversion puts both on crossbars
/// (<see cref="Nn.AnalogConversion"/>); the gates' non-linearities and the state update stay digital. Gate order and
/// parameter layout are torch's (weight_ih_l0 ...). The input projection runs once over all T steps (T input vectors
/// per sample); the recurrent one once per step, except at step 0 when the state starts at zero (its term is then
/// only the bias: the core does not run a known-zero vector).
/// </summary>
public abstract class RecurrentLayer : nn.Module<Tensor, Tensor>
{
    /// <summary>The gates' input projection.</summary>
    protected nn.Module<Tensor, Tensor> ih;
    /// <summary>The gates' recurrent projection.</summary>
    protected nn.Module<Tensor, Tensor> hh;

    /// <summary>The hidden state's size H.</summary>
    public int Hidden { get; }
    /// <summary>The name its gates' digital work is priced under (<see cref="Nn.DigitalOps.Count"/>).</summary>
    public string OpName { get; }
    /// <summary>What one step's digital work is, per hidden unit.</summary>
    protected abstract Nn.DigitalOpKind CellKind { get; }

    protected RecurrentLayer(string name, int inputs, int hidden, int gates, string opName) : base(name)
    {
        Hidden = hidden;
        OpName = opName;
        ih = nn.Linear(inputs, gates * hidden);
        hh = nn.Linear(hidden, gates * hidden);
    }

    /// <summary>Every step's hidden state [B, T, H].</summary>
    public override Tensor forward(Tensor x) => Sequence(x, null, null).States;

    /// <summary>
    /// Every step's hidden state [B, T, H], the last hidden state [B, H] and (LSTM) cell state, from initial states
    /// h0, c0 [B, H] (null: zero).
    /// </summary>
    public (Tensor States, Tensor H, Tensor? C) Sequence(Tensor x, Tensor? h0, Tensor? c0)
    {
        var gx = ih.call(x);                                           // [B, T, G H]
        Tensor? h = h0, c = c0;
        var states = new List<Tensor>();
        for (long s = 0; s < x.size(1); s++)
        {
            var gxs = gx.select(1, s);
            var (next, cell) = Step(gxs, h is null ? Bias(gxs) : hh.call(h), h, c);
            Nn.DigitalOps.Count(OpName, CellKind, next, x.size(0));
            (h, c) = (next, cell);
            states.Add(next);
        }
        return (stack(states, 1), h!, c);
    }

    /// <summary>One step: the gates' input and recurrent terms [B, G H], the state before (null: zero).</summary>
    protected abstract (Tensor H, Tensor? C) Step(Tensor gx, Tensor gh, Tensor? h, Tensor? c);

    /// <summary>The recurrent term of a zero state: the bias b_hh (or zero).</summary>
    Tensor Bias(Tensor like) =>
        hh.named_parameters().FirstOrDefault(p => p.name == "bias").parameter is { } bias ? bias.expand_as(like)
        : zeros_like(like);
}

/// <summary>
/// LSTM (torch's gate order i, f, g, o):
///   i, f, o = sigmoid(W_i* x_t + b_i* + W_h* h + b_h*),  g = tanh(...),
///   c_t = f c_{t-1} + i g,  h_t = o tanh(c_t).
/// </summary>
public sealed class LstmLayer : RecurrentLayer
{
    /// <summary>An LSTM of <paramref name="hidden"/> units; <paramref name="opName"/> prices its gates.</summary>
    public LstmLayer(int inputs, int hidden, string opName = "rnn") : base("LstmLayer", inputs, hidden, 4, opName) =>
        RegisterComponents();

    protected override Nn.DigitalOpKind CellKind => Nn.DigitalOpKind.LstmCell;

    protected override (Tensor H, Tensor? C) Step(Tensor gx, Tensor gh, Tensor? h, Tensor? c)
    {
        var gates = gx.add(gh).chunk(4, 1);
        var (i, f, g, o) = (gates[0].sigmoid(), gates[1].sigmoid(), gates[2].tanh(), gates[3].sigmoid());
        var next = c is null ? i.mul(g) : f.mul(c).add_(i.mul(g));
        return (o.mul(next.tanh()), next);
    }
}

/// <summary>
/// GRU (torch's gate order r, z, n; the reset gate after the recurrent product, ONNX's linear_before_reset = 1):
///   r, z = sigmoid(W_i* x_t + b_i* + W_h* h + b_h*),  n = tanh(W_in x_t + b_in + r (W_hn h + b_hn)),
///   h_t = (1 - z) n + z h_{t-1}.
/// </summary>
public sealed class GruLayer : RecurrentLayer
{
    /// <summary>A GRU of <paramref name="hidden"/> units; <paramref name="opName"/> prices its gates.</summary>
    public GruLayer(int inputs, int hidden, string opName = "rnn") : base("GruLayer", inputs, hidden, 3, opName) =>
        RegisterComponents();

    protected override Nn.DigitalOpKind CellKind => Nn.DigitalOpKind.GruCell;

    protected override (Tensor H, Tensor? C) Step(Tensor gx, Tensor gh, Tensor? h, Tensor? c)
    {
        var x = gx.chunk(3, 1);
        var r_ = gh.chunk(3, 1);
        var r = x[0].add(r_[0]).sigmoid();
        var z = x[1].add(r_[1]).sigmoid();
        var n = x[2].add(r.mul(r_[2])).tanh();
        var keep = z.neg().add_(1);
        return (h is null ? n.mul(keep) : n.mul(keep).add_(z.mul(h)), null);
    }
}

/// <summary>
/// A recurrent classifier that reads an image as a sequence of its rows (T = H steps of C W values, as in the
/// sequential-MNIST task) and classifies the last hidden state with one fully connected layer.
/// </summary>
public sealed class RowRecurrent : nn.Module<Tensor, Tensor>
{
    private nn.Module<Tensor, Tensor> rnn;
    private nn.Module<Tensor, Tensor> fc;

    /// <summary>An LSTM or GRU (<paramref name="rnn"/>) of <paramref name="hidden"/> units over rows.</summary>
    public RowRecurrent(RecurrentLayer rnn, int hidden, int classes) : base("RowRecurrent")
    {
        this.rnn = rnn;
        fc = nn.Linear(hidden, classes);
        // In this order: the first weight layer is the input projection, the last the classifier.
        register_module("rnn", this.rnn);
        register_module("fc", fc);
    }

    public override Tensor forward(Tensor x)
    {
        long b = x.size(0), t = x.size(2);
        var rows = x.permute(0, 2, 1, 3).reshape(b, t, -1);        // [B, T, C W]
        return fc.call(((RecurrentLayer)rnn).Sequence(rows, null, null).H);
    }
}
