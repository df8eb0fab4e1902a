using TorchSharp;
using static TorchSharp.torch;

namespace ImcSharp.Models;

/// <summary>
/// A recurrent classifier that reads an image as a sequence of its rows (T = H steps of C W values, as in the
/// sequential-MNIST task) and classifies the last hidden state with one fully connected layer. The input and
/// recurrent weight matrices are torch Linear layers, so a conversion puts both on crossbars
/// (<see cref="Nn.AnalogConversion"/>); the gates' non-linearities and the state update stay digital.
/// The input projection runs once over all T rows (T input vectors per sample), the recurrent one once per step
/// after the first (the state starts at zero, so step 0's recurrent term is its bias).
/// </summary>
public abstract class RowRecurrent : nn.Module<Tensor, Tensor>
{
    /// <summary>Gates' input projection W_ih [G H, C W] (+ b_ih): torch's weight_ih_l0, bias_ih_l0.</summary>
    protected nn.Module<Tensor, Tensor> ih;
    /// <summary>Gates' recurrent projection W_hh [G H, H] (+ b_hh): torch's weight_hh_l0, bias_hh_l0.</summary>
    protected nn.Module<Tensor, Tensor> hh;
    private nn.Module<Tensor, Tensor> fc;

    /// <summary>The hidden state's size H.</summary>
    public int Hidden { get; }

    protected RowRecurrent(string name, int inputs, int hidden, int gates, int classes) : base(name)
    {
        Hidden = hidden;
        ih = nn.Linear(inputs, gates * hidden);
        hh = nn.Linear(hidden, gates * hidden);
        fc = nn.Linear(hidden, classes);
    }

    public override Tensor forward(Tensor x)
    {
        long b = x.size(0), t = x.size(2);
        var rows = x.permute(0, 2, 1, 3).reshape(b, t, -1);        // [B, T, C W]
        var gx = ih.call(rows);                                    // [B, T, G H]
        var h = Run(gx, t);
        return fc.call(h);
    }

    /// <summary>The last hidden state [B, H] from the input terms of every step [B, T, G H].</summary>
    protected abstract Tensor Run(Tensor gx, long steps);

    /// <summary>Step 0's recurrent term: the state is zero, so W_hh h = 0 and only the bias is left.</summary>
    protected Tensor RecurrentTerm(Tensor? h, Tensor gx0) =>
        h is not null ? hh.call(h)
        : hh.named_parameters().FirstOrDefault(p => p.name == "bias").parameter is { } bias ? bias.expand_as(gx0)
        : zeros_like(gx0);
}

/// <summary>
/// LSTM over image rows (torch's gate order i, f, g, o):
///   i, f, o = sigmoid(W_i* x_t + b_i* + W_h* h + b_h*),  g = tanh(...),
///   c_t = f c_{t-1} + i g,  h_t = o tanh(c_t);  h_0 = c_0 = 0.
/// </summary>
public sealed class RowLstm : RowRecurrent
{
    public RowLstm(int inputs, int hidden, int classes) : base("RowLstm", inputs, hidden, 4, classes) =>
        RegisterComponents();

    protected override Tensor Run(Tensor gx, long steps)
    {
        Tensor? h = null, c = null;
        for (long s = 0; s < steps; s++)
        {
            var gates = gx.select(1, s).add(RecurrentTerm(h, gx.select(1, s))).chunk(4, 1);
            var (i, f, g, o) = (gates[0].sigmoid(), gates[1].sigmoid(), gates[2].tanh(), gates[3].sigmoid());
            c = c is null ? i.mul(g) : f.mul(c).add_(i.mul(g));
            h = o.mul(c.tanh());
        }
        return h!;
    }
}

/// <summary>
/// GRU over image rows (torch's gate order r, z, n):
///   r, z = sigmoid(W_i* x_t + b_i* + W_h* h + b_h*),  n = tanh(W_in x_t + b_in + r (W_hn h + b_hn)),
///   h_t = (1 - z) n + z h_{t-1};  h_0 = 0.
/// </summary>
public sealed class RowGru : RowRecurrent
{
    public RowGru(int inputs, int hidden, int classes) : base("RowGru", inputs, hidden, 3, classes) =>
        RegisterComponents();

    protected override Tensor Run(Tensor gx, long steps)
    {
        Tensor? h = null;
        for (long s = 0; s < steps; s++)
        {
            var x = gx.select(1, s).chunk(3, 1);
            var r_ = RecurrentTerm(h, gx.select(1, s)).chunk(3, 1);
            var r = x[0].add(r_[0]).sigmoid();
            var z = x[1].add(r_[1]).sigmoid();
            var n = x[2].add(r.mul(r_[2])).tanh();
            h = h is null ? n.mul(z.neg().add_(1)) : n.mul(z.neg().add_(1)).add_(z.mul(h));
        }
        return h!;
    }
}
