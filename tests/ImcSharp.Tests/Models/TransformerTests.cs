using System.Text.Json;
using ImcSharp.Config;
using ImcSharp.Cost;
using ImcSharp.Models;
using ImcSharp.Nn;
using TorchSharp;
using static TorchSharp.torch;

namespace ImcSharp.Tests.Models;

/// <summary>
/// The vision transformer and the imported sequence and attention networks: the transformer's equations in float,
/// PyTorch's own logits on the imported fixtures, the quantized network on an exact core, the digital operations
/// counted and priced.
/// </summary>
public class TransformerTests
{
    static string Fixture(string name) => Repo.Path("tests", "ImcSharp.Tests", "Fixtures", "onnx", name);

    static Tensor Images(int n, int seed) => randn(new long[] { n, 1, 28, 28 }, generator: new Generator((ulong)seed));

    static nn.Module<Tensor, Tensor> Vit(int seed)
    {
        manual_seed(seed);
        return new ModelSpec("vit", 1, 28, 28, 10).Build();
    }

    /// <summary>The ViT written out head by head from its parameters: patches, attention, LayerNorm, GELU.</summary>
    static Tensor Reference(nn.Module model, Tensor x)
    {
        var p = model.named_parameters().ToDictionary(q => q.name, q => q.parameter);
        Tensor Lin(string name, Tensor v) => v.matmul(p[name + ".weight"].t()).add(p[name + ".bias"]);
        Tensor Norm(string name, Tensor v)
        {
            var mean = v.mean(new long[] { -1 }, keepdim: true);
            var var = v.sub(mean).pow(2).mean(new long[] { -1 }, keepdim: true);
            return v.sub(mean).div(var.add(1e-5).sqrt()).mul(p[name + ".weight"]).add(p[name + ".bias"]);
        }
        long b = x.size(0);
        // 16 patches of 7x7, row-major over the image, each flattened row-major.
        var patches = new List<Tensor>();
        for (int i = 0; i < 4; i++)
            for (int j = 0; j < 4; j++)
                patches.Add(x.narrow(2, i * 7, 7).narrow(3, j * 7, 7).reshape(b, 49));
        var tokens = Lin("patch_embed", stack(patches, 1));
        var h = cat(new[] { p["cls_token"].expand(b, 1, 64), tokens }, 1).add(p["pos_embed"]);
        for (int k = 0; k < 2; k++)
        {
            var at = $"blocks.{k}";
            var n1 = Norm(at + ".norm1", h);
            var (q, kk, v) = (Lin(at + ".attn.q", n1), Lin(at + ".attn.k", n1), Lin(at + ".attn.v", n1));
            var heads = new List<Tensor>();
            for (int head = 0; head < 4; head++)
            {
                Tensor Part(Tensor t) => t.narrow(2, head * 16, 16);
                var scores = Part(q).matmul(Part(kk).transpose(1, 2)).div(4.0);      // sqrt(16)
                heads.Add(scores.softmax(-1).matmul(Part(v)));
            }
            h = h.add(Lin(at + ".attn.proj", cat(heads, 2)));
            var f = Lin(at + ".fc1", Norm(at + ".norm2", h));
            var gelu = f.mul(f.div(Math.Sqrt(2)).erf().add(1)).mul(0.5);
            h = h.add(Lin(at + ".fc2", gelu));
        }
        return Lin("head", Norm("norm", h.select(1, 0)));
    }

    [Fact]
    public void TheVitIsTheTransformerEquations()
    {
        using var scope = NewDisposeScope();
        using var model = Vit(1);
        model.eval();
        var x = Images(8, 2);
        using var g = no_grad();
        var expected = Reference(model, x);
        var got = model.call(x);
        Assert.True(got.allclose(expected, rtol: 1e-4, atol: 1e-5), $"off by {(got - expected).abs().max().item<float>()}");
    }

    /// <summary>
    /// The imported fixtures against PyTorch's own logits (written by the fixture script with the ONNX file): within
    /// 1e-4.
    /// </summary>
    [Theory]
    [InlineData("lstm")]
    [InlineData("gru")]
    [InlineData("vit")]
    public void ImportedNetworksGivePyTorchsLogits(string name)
    {
        using var scope = NewDisposeScope();
        using var doc = JsonDocument.Parse(File.ReadAllText(Fixture(name + "-io.json")));
        long[] Shape(string key) => doc.RootElement.GetProperty(key).EnumerateArray().Select(e => e.GetInt64()).ToArray();
        float[] Values(string key) => doc.RootElement.GetProperty(key).EnumerateArray().Select(e => e.GetSingle()).ToArray();
        var x = tensor(Values("input")).reshape(Shape("input_shape"));
        var expected = tensor(Values("output")).reshape(Shape("output_shape"));
        using var net = OnnxNetwork.Load(Fixture(name + ".onnx"));
        net.eval();
        using var g = no_grad();
        var got = net.call(x);
        double diff = got.sub(expected).abs().max().item<float>();
        Assert.True(diff <= 1e-4, $"{name}: max |ImcSharp - PyTorch| = {diff:G3}");
        Assert.True(expected.abs().max().item<float>() > 0.05, "the logits are not trivially small");
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void AnExactCoreGivesTheQuantizedTransformer(bool imported)
    {
        using var scope = NewDisposeScope();
        using var model = imported ? OnnxNetwork.Load(Fixture("vit.onnx")) : Vit(3);
        var x = Images(32, 4);
        AnalogConversion.Convert(model, HardwareConfig.Load(Repo.Path("configs/ideal-exact.json")));
        AnalogConversion.CalibrateInputs(model, x);
        // The patch embedding, Q, K, V, the output projection and the MLP of both blocks, the classifier.
        Assert.Equal(14, AnalogConversion.Layers(model).Count);
        model.eval();
        using var g = no_grad();
        AnalogConversion.SetExecution(model, Execution.Float);
        var fp = model.call(x);
        AnalogConversion.SetExecution(model, Execution.QuantizedDigital);
        var quantized = model.call(x);
        Assert.False(TensorAssert.Same(fp, quantized), "quantization changes the logits");
        AnalogConversion.SetExecution(model, Execution.Analog);
        AnalogConversion.Program(model, 0);
        Assert.True(TensorAssert.Same(quantized, model.call(x)));
    }

    /// <summary>
    /// One forward counts the attention's work per sample: with T = 17 tokens, 4 heads of 16 features, Q K^T is 68
    /// rows of 16 by 16 x 17, softmax 68 rows of 17, A V 68 rows of 17 by 17 x 16; LayerNorm 17 rows of 64 (the last
    /// one only the class token); GELU 17 rows of 128. Energies follow DigitalOpCost's per-element figures.
    /// </summary>
    [Fact]
    public void DigitalOperationsAreCountedAndPricedFromTheirShapes()
    {
        var shapes = LayerShapes.Of(new ModelSpec("vit", 1, 28, 28, 10));
        var ops = shapes.Where(s => s.Op is not null).ToDictionary(s => s.Name);
        Assert.Equal(14, shapes.Count(s => s.Op is null));
        Assert.Equal(new LayerShape("blocks.0.attn.scores", 16, 17, 68, DigitalOpKind.MatMul), ops["blocks.0.attn.scores"]);
        Assert.Equal(new LayerShape("blocks.1.attn.softmax", 17, 17, 68, DigitalOpKind.Softmax), ops["blocks.1.attn.softmax"]);
        Assert.Equal(new LayerShape("blocks.0.attn.context", 17, 16, 68, DigitalOpKind.MatMul), ops["blocks.0.attn.context"]);
        Assert.Equal(new LayerShape("blocks.0.norm2", 64, 64, 17, DigitalOpKind.LayerNorm), ops["blocks.0.norm2"]);
        Assert.Equal(new LayerShape("norm", 64, 64, 1, DigitalOpKind.LayerNorm), ops["norm"]);
        Assert.Equal(new LayerShape("blocks.1.gelu", 128, 128, 17, DigitalOpKind.Gelu), ops["blocks.1.gelu"]);
        Assert.Equal(13, ops.Count);                      // six per block, and the last LayerNorm

        var hw = HardwareConfig.Load(Repo.Path("configs/ideal-exact.json")) with
        {
            Cost = new CostConfig { NodeNm = 45, Supply = 0.9, BufferBits = 8 },
        };
        var cost = CoreCostModel.Price("vit", shapes, hw);
        var byName = cost.Layers.ToDictionary(l => l.Name);
        const double pJ = 1e-12, buffer = 8 * 10.0 / 64 * pJ;
        // Softmax: 68 x 17 elements of 6.4 pJ, 68 reciprocals of 4.5 pJ, each element read and written.
        Assert.Equal(68 * 17 * 6.4 * pJ + 68 * 4.5 * pJ + 2 * 68 * 17 * buffer,
            byName["blocks.1.attn.softmax"].Energy.DigitalOps, 1e-18);
        // Q K^T: 68 x 16 x 17 MACs at 0.3 pJ; operands 68 x 16 and 16 x 17, result 68 x 17.
        Assert.Equal(68 * 16 * 17 * 0.3 * pJ + (68 * 16 + 16 * 17 + 68 * 17) * buffer,
            byName["blocks.0.attn.scores"].Energy.DigitalOps, 1e-18);
        Assert.Equal(68L * 16 * 17, byName["blocks.0.attn.scores"].Macs);
        Assert.Equal("matmul", byName["blocks.0.attn.scores"].Op);
        Assert.Equal(cost.Layers.Sum(l => l.Energy.DigitalOps), cost.Energy.DigitalOps, 1e-15);
        Assert.Equal(cost.Energy.Core + cost.Energy.Accumulation + cost.Energy.Buffers + cost.Energy.DigitalLayers
            + cost.Energy.DigitalOps, cost.EnergyPerInferenceJ, 1e-15);
        // The digital unit: 256 MACs and 64 fp16 lanes of full-adder bits, at 45 nm.
        Assert.Equal((256 * 88 + 64 * 221) * 1.5e-12 * (45.0 / 28) * (45.0 / 28) * 1e6, cost.Area.DigitalOps, 1e-9);
    }

    /// <summary>An imported transformer puts its projections on crossbars (named by module scope) and prices its
    /// products between activations, softmaxes, LayerNorms and erfs digitally.</summary>
    [Fact]
    public void AnImportedTransformerIsPricedWithItsDigitalOperations()
    {
        var shapes = LayerShapes.Of(() => OnnxNetwork.Load(Fixture("vit.onnx")), new long[] { 1, 28, 28 });
        var weights = shapes.Where(s => s.Op is null).Select(s => s.Name).ToList();
        Assert.Contains("blocks_0_attn_q", weights);
        Assert.Contains("blocks_1_fc2", weights);
        var kinds = shapes.Where(s => s.Op is not null).GroupBy(s => s.Op!.Value).ToDictionary(g => g.Key, g => g.Count());
        Assert.Equal(4, kinds[DigitalOpKind.MatMul]);
        Assert.Equal(2, kinds[DigitalOpKind.Softmax]);
        Assert.Equal(5, kinds[DigitalOpKind.LayerNorm]);
        Assert.Equal(2, kinds[DigitalOpKind.Gelu]);
        var scores = shapes.First(s => s.Op == DigitalOpKind.MatMul);
        Assert.Equal((8L, 17L, 68L), (scores.Inputs, scores.Outputs, scores.VectorsPerSample));   // 4 heads of 8 features
    }

    /// <summary>What the importer does not implement is one error naming the node: a LayerNorm over another axis, a
    /// Slice with a negative step.</summary>
    [Fact]
    public void UnsupportedAttentionAttributesAreOneErrorNamingTheNode()
    {
        using var scope = NewDisposeScope();
        var model = Onnx.ModelProto.Parser.ParseFrom(File.ReadAllBytes(Fixture("vit.onnx")));
        var ln = model.Graph.Node.First(n => n.OpType == "LayerNormalization");
        ln.Attribute.Single(a => a.Name == "axis").I = 1;
        var path = Path.Combine(Synthetic.TempDir(), "ln-axis.onnx");
        File.WriteAllBytes(path, Google.Protobuf.MessageExtensions.ToByteArray(model));
        var e = Assert.Throws<ImcInputException>(() => OnnxNetwork.Load(path));
        Assert.Contains($"node '{ln.Name}' (LayerNormalization): axis 1: only the last axis (-1) is supported", e.Message);

        model = Onnx.ModelProto.Parser.ParseFrom(File.ReadAllBytes(Fixture("vit.onnx")));
        var slice = model.Graph.Node.Single(n => n.OpType == "Slice");
        var steps = new Onnx.TensorProto { Name = "negative_steps", DataType = (int)Onnx.TensorProto.Types.DataType.Int64 };
        steps.Dims.Add(1);
        steps.Int64Data.Add(-1);
        model.Graph.Initializer.Add(steps);
        while (slice.Input.Count < 4) slice.Input.Add("");
        if (slice.Input.Count == 4) slice.Input.Add("negative_steps"); else slice.Input[4] = "negative_steps";
        File.WriteAllBytes(path, Google.Protobuf.MessageExtensions.ToByteArray(model));
        using var net = OnnxNetwork.Load(path);
        net.eval();
        using var g = no_grad();
        e = Assert.Throws<ImcInputException>(() => net.call(Images(2, 1)));
        Assert.Contains($"node '{slice.Name}' (Slice): step -1: only positive steps are supported", e.Message);
    }

    [Fact]
    public void AttentionIsPlacedDigitallyAndOtherPlacementsAreRefused()
    {
        var text = File.ReadAllText(Repo.Path("configs/ideal-exact.json"));
        var node = System.Text.Json.Nodes.JsonNode.Parse(text)!;
        node["attention"] = "digital";
        var stated = HardwareConfig.Parse(node.ToJsonString(), "stated.json");
        Assert.Equal(OpPlacement.Digital, stated.Attention);
        // Stating the default changes no design's identity (cached results stay valid).
        Assert.Equal(HardwareConfig.Parse(text, "plain.json").Fingerprint(), stated.Fingerprint());
        node["attention"] = "analog";
        var e = Assert.Throws<ImcInputException>(() => HardwareConfig.Parse(node.ToJsonString(), "analog.json"));
        Assert.Contains("analog.json", e.Message);
        Assert.Contains("attention", e.Message);
    }
}
