using ImcSharp.Nn;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace ImcSharp.Models;

/// <summary>
/// Multi-head self-attention over tokens x [B, T, D]: the Q, K, V and output projections are Linear layers (a
/// conversion puts them on crossbars, T input vectors per sample each); the attention itself is digital
/// (<see cref="DigitalOps"/>): per head h of d = D / H features,
///   A_h = softmax(Q_h K_h^T / sqrt d),  context_h = A_h V_h,  out = W_o [context_1 .. context_H] + b_o.
/// </summary>
public sealed class SelfAttention : nn.Module<Tensor, Tensor>
{
    private nn.Module<Tensor, Tensor> q, k, v, proj;
    readonly int _heads;
    readonly string _name;

    /// <summary><paramref name="name"/>: the module path the digital ops are priced under.</summary>
    public SelfAttention(string name, int dim, int heads) : base("SelfAttention")
    {
        if (dim % heads != 0) throw new ArgumentException($"{dim} features do not split into {heads} heads");
        (_name, _heads) = (name, heads);
        q = nn.Linear(dim, dim);
        k = nn.Linear(dim, dim);
        v = nn.Linear(dim, dim);
        proj = nn.Linear(dim, dim);
        RegisterComponents();
    }

    public override Tensor forward(Tensor x)
    {
        long b = x.size(0), t = x.size(1), d = x.size(2), dh = d / _heads;
        Tensor Heads(Tensor y) => y.reshape(b, t, _heads, dh).transpose(1, 2);        // [B, H, T, d]
        var (qh, kh, vh) = (Heads(q.call(x)).mul(1.0 / Math.Sqrt(dh)), Heads(k.call(x)), Heads(v.call(x)));
        var scores = DigitalOps.MatMul(_name + ".scores", qh, kh.transpose(-2, -1), b);
        var a = DigitalOps.Softmax(_name + ".softmax", scores, -1, b);
        var context = DigitalOps.MatMul(_name + ".context", a, vh, b).transpose(1, 2).reshape(b, t, d);
        return proj.call(context);
    }
}

/// <summary>
/// A pre-LayerNorm transformer encoder block: h = x + Attn(LN_1(x)); y = h + W_2 GELU(W_1 LN_2(h) + b_1) + b_2.
/// The projections and the MLP on crossbars, LayerNorm and GELU digital.
/// </summary>
public sealed class EncoderBlock : nn.Module<Tensor, Tensor>
{
    private DigitalLayerNorm norm1, norm2;
    private SelfAttention attn;
    private nn.Module<Tensor, Tensor> fc1, fc2;
    readonly string _name;

    public EncoderBlock(string name, int dim, int heads, int mlp) : base("EncoderBlock")
    {
        _name = name;
        norm1 = new DigitalLayerNorm(name + ".norm1", dim);
        attn = new SelfAttention(name + ".attn", dim, heads);
        norm2 = new DigitalLayerNorm(name + ".norm2", dim);
        fc1 = nn.Linear(dim, mlp);
        fc2 = nn.Linear(mlp, dim);
        RegisterComponents();
    }

    public override Tensor forward(Tensor x)
    {
        var h = x.add(attn.call(norm1.call(x)));
        return h.add(fc2.call(DigitalOps.Gelu(_name + ".gelu", fc1.call(norm2.call(h)), x.size(0))));
    }
}

/// <summary>
/// A small vision transformer (ViT): the image cut into P x P patches (T = H W / P^2 tokens of C P^2 values), each
/// embedded by one Linear layer, a learned class token prepended and learned position embeddings added, encoder
/// blocks (<see cref="EncoderBlock"/>), a final LayerNorm and a Linear classifier of the class token.
/// </summary>
public sealed class VisionTransformer : nn.Module<Tensor, Tensor>
{
    private nn.Module<Tensor, Tensor> patch_embed;
    private Parameter cls_token, pos_embed;
    private ModuleList<EncoderBlock> blocks;
    private DigitalLayerNorm norm;
    private nn.Module<Tensor, Tensor> head;
    readonly int _patch;

    public VisionTransformer(int channels, int height, int width, int patch, int dim, int depth, int heads, int mlp,
        int classes) : base("VisionTransformer")
    {
        if (height % patch != 0 || width % patch != 0)
            throw new ArgumentException($"a {height}x{width} image does not cut into {patch}x{patch} patches");
        _patch = patch;
        int tokens = height / patch * (width / patch);
        patch_embed = nn.Linear(channels * patch * patch, dim);
        cls_token = new Parameter(randn(1, 1, dim).mul_(0.02));
        pos_embed = new Parameter(randn(1, tokens + 1, dim).mul_(0.02));
        blocks = nn.ModuleList(Enumerable.Range(0, depth)
            .Select(i => new EncoderBlock($"blocks.{i}", dim, heads, mlp)).ToArray());
        norm = new DigitalLayerNorm("norm", dim);
        head = nn.Linear(dim, classes);
        // In this order: the first weight layer is the patch embedding, the last the classifier.
        RegisterComponents();
    }

    /// <summary>The image's patches [B, T, C P P], row-major over patches, each patch (c, i, j) flattened.</summary>
    public static Tensor Patches(Tensor x, int patch)
    {
        long b = x.size(0), c = x.size(1), h = x.size(2) / patch, w = x.size(3) / patch;
        return x.reshape(b, c, h, patch, w, patch).permute(0, 2, 4, 1, 3, 5).reshape(b, h * w, c * patch * patch);
    }

    public override Tensor forward(Tensor x)
    {
        long b = x.size(0);
        var tokens = patch_embed.call(Patches(x, _patch));
        var h = cat(new[] { cls_token.expand(b, -1, -1), tokens }, 1).add(pos_embed);
        foreach (var block in blocks) h = block.call(h);
        return head.call(norm.call(h.select(1, 0)));
    }
}
