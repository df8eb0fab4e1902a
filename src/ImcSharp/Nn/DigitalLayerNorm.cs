using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace ImcSharp.Nn;

/// <summary>
/// LayerNorm over the last dimension, run digitally (<see cref="DigitalOps.LayerNorm"/>): y = (x - mean) /
/// sqrt(var + eps) * weight + bias. Parameters named as torch's LayerNorm's (weight, bias), so checkpoints and
/// imported graphs load. <see cref="OpName"/> names it in the cost model.
/// </summary>
public sealed class DigitalLayerNorm : nn.Module<Tensor, Tensor>
{
#pragma warning disable IDE1006 // torch's parameter names: the state dict's keys
    /// <summary>The affine scale per feature.</summary>
    public Parameter weight;
    /// <summary>The affine shift per feature.</summary>
    public Parameter bias;
#pragma warning restore IDE1006
    readonly double _eps;

    /// <summary>The operation's name in the cost model (its module path).</summary>
    public string OpName { get; }

    /// <summary>A LayerNorm of <paramref name="features"/> named <paramref name="opName"/>: weight 1, bias 0.</summary>
    public DigitalLayerNorm(string opName, long features, double eps = 1e-5) : base("DigitalLayerNorm")
    {
        OpName = opName;
        _eps = eps;
        weight = new Parameter(ones(features));
        bias = new Parameter(zeros(features));
        RegisterComponents();
    }

    /// <summary>x [.., D] normalised over D.</summary>
    public override Tensor forward(Tensor x) => DigitalOps.LayerNorm(OpName, x, weight, bias, _eps, x.size(0));
}
