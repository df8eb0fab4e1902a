using System.Text.Json.Nodes;
using ImcSharp.Config;
using ImcSharp.Cost;
using ImcSharp.Crossbar;
using ImcSharp.Data;
using ImcSharp.Models;
using ImcSharp.Nn;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace ImcSharp.Tests.Models;

/// <summary>
/// LSTM and GRU over image rows: torch's recurrences in float, the quantized network on an exact core, calibration
/// over every step, priced per step, compensated per chip.
/// </summary>
public class RecurrentTests
{
    static Tensor Images(int n, int seed) => randn(new long[] { n, 1, 28, 28 }, generator: new Generator((ulong)seed));

    static nn.Module<Tensor, Tensor> Build(string net, int seed)
    {
        manual_seed(seed);
        return new ModelSpec(net, 1, 28, 28, 10).Build();
    }

    static Parameter Param(nn.Module m, string name) => m.named_parameters().Single(p => p.name == name).parameter;

    /// <summary>Torch's own LSTM or GRU with the model's weights: its every hidden state [B, T, H].</summary>
    static Tensor TorchStates(string net, nn.Module<Tensor, Tensor> model, Tensor x)
    {
        var rows = x.permute(0, 2, 1, 3).reshape(x.size(0), 28, 28);
        nn.Module rnn = net == "lstm" ? nn.LSTM(28, 128, batchFirst: true) : nn.GRU(28, 128, batchFirst: true);
        using (no_grad())
            foreach (var (ours, theirs) in new[] { ("rnn.ih.weight", "weight_ih_l0"), ("rnn.hh.weight", "weight_hh_l0"),
                ("rnn.ih.bias", "bias_ih_l0"), ("rnn.hh.bias", "bias_hh_l0") })
                Param(rnn, theirs).copy_(Param(model, ours));
        return net == "lstm" ? ((LSTM)rnn).call(rows).Item1 : ((GRU)rnn).call(rows).Item1;
    }

    [Theory]
    [InlineData("lstm")]
    [InlineData("gru")]
    public void TheFloatNetworkIsTorchsRecurrence(string net)
    {
        using var scope = NewDisposeScope();
        using var model = Build(net, 1);
        model.eval();
        var x = Images(16, 2);
        var states = TorchStates(net, model, x);
        var fc = (Linear)model.named_modules().Single(m => m.name == "fc").module;
        using var g = no_grad();
        var expected = fc.call(states.select(1, -1));
        var got = model.call(x);
        Assert.True(got.allclose(expected, rtol: 1e-4, atol: 1e-5), $"off by {(got - expected).abs().max().item<float>()}");
    }

    [Theory]
    [InlineData("lstm")]
    [InlineData("gru")]
    public void AnExactCoreGivesTheQuantizedNetworkAndRangesCoverEveryStep(string net)
    {
        using var scope = NewDisposeScope();
        using var model = Build(net, 3);
        var x = Images(64, 4);
        var states = TorchStates(net, model, x);
        AnalogConversion.Convert(model, HardwareConfig.Load(Repo.Path("configs/ideal-exact.json")));
        AnalogConversion.CalibrateInputs(model, x);
        var hh = AnalogConversion.Layers(model).Single(l => l.LayerName == "rnn.hh");
        // The recurrent layer sees h_0 .. h_{T-2} (step 0 has a zero state and skips it): its range covers them all.
        Assert.Equal(states.narrow(1, 0, 27).abs().max().item<float>(), hh.InputRange!.Value, 5);
        Assert.True(hh.InputRange > states.select(1, 0).abs().max().item<float>());
        model.eval();
        using var g = no_grad();
        AnalogConversion.SetExecution(model, Execution.QuantizedDigital);
        var quantized = model.call(x);
        AnalogConversion.SetExecution(model, Execution.Analog);
        AnalogConversion.Program(model, 0);
        Assert.True(TensorAssert.Same(quantized, model.call(x)));
    }

    [Fact]
    public void FirstAndLastLayerAreTheInputProjectionAndTheClassifier()
    {
        using var model = Build("lstm", 1);
        AnalogConversion.Convert(model, HardwareConfig.Load(Repo.Path("configs/ideal-exact.json")) with
        {
            KeepFirstDigital = true, KeepLastDigital = true,
        });
        Assert.Equal(new[] { "rnn.hh" }, AnalogConversion.Layers(model).Select(l => l.LayerName));
    }

    [Theory]
    [InlineData("lstm.onnx")]
    [InlineData("gru.onnx")]
    public void AnImportedRecurrentNetworkPutsBothProjectionsOnCrossbarsAndRunsExactly(string name)
    {
        using var scope = NewDisposeScope();
        using var net = OnnxNetwork.Load(Repo.Path("tests", "ImcSharp.Tests", "Fixtures", "onnx", name));
        var x = Images(32, 8);
        AnalogConversion.Convert(net, HardwareConfig.Load(Repo.Path("configs/ideal-exact.json")));
        AnalogConversion.CalibrateInputs(net, x);
        var layers = AnalogConversion.LayersDepthFirst(net);
        Assert.Equal(3, layers.Count);                                  // W (28 steps), R (27), the classifier
        Assert.EndsWith(".ih", layers[0].LayerName);
        Assert.EndsWith(".hh", layers[1].LayerName);
        net.eval();
        using var g = no_grad();
        AnalogConversion.SetExecution(net, Execution.QuantizedDigital);
        var quantized = net.call(x);
        AnalogConversion.SetExecution(net, Execution.Analog);
        AnalogConversion.Program(net, 0);
        Assert.True(TensorAssert.Same(quantized, net.call(x)));
        // Priced per step: the exporter's zero initial state runs no recurrent product at step 0.
        var shapes = LayerShapes.Of(() => OnnxNetwork.Load(Repo.Path("tests", "ImcSharp.Tests", "Fixtures", "onnx", name)),
            new long[] { 1, 28, 28 });
        Assert.Equal(new[] { 28L, 27L, 1L }, shapes.Where(s => s.Op is null).Select(s => s.VectorsPerSample));
        // The gates' digital work, 28 steps of 32 units, named by the node.
        var cell = shapes.Single(s => s.Op is not null);
        Assert.Equal((28L, 32L), (cell.VectorsPerSample, cell.Inputs));
        Assert.EndsWith(name == "lstm.onnx" ? "LSTM" : "GRU", cell.Name);
    }

    [Fact]
    public void EveryStepIsPricedAsOneInputVector()
    {
        var shapes = LayerShapes.Of(new ModelSpec("lstm", 1, 28, 28, 10));
        Assert.Equal(new[] { ("rnn.ih", 28L, 512L, 28L), ("rnn.hh", 128L, 512L, 27L), ("fc", 128L, 10L, 1L) },
            shapes.Where(s => s.Op is null).Select(s => (s.Name, s.Inputs, s.Outputs, s.VectorsPerSample)));
        // The gates' digital work: one cell update of 128 units per step, 28 steps.
        Assert.Equal(new LayerShape("rnn", 128, 128, 28, DigitalOpKind.LstmCell), shapes.Single(s => s.Op is not null));
        var gru = LayerShapes.Of(new ModelSpec("gru", 1, 28, 28, 10)).Single(s => s.Op is not null);
        Assert.Equal(new LayerShape("rnn", 128, 128, 28, DigitalOpKind.GruCell), gru);
        // Priced per unit and step: LSTM 27.8 pJ at 45 nm and 0.9 V, and 11 values of 8 bits through the buffers.
        var hw = HardwareConfig.Load(Repo.Path("configs/ideal-exact.json")) with
        {
            Cost = new CostConfig { NodeNm = 45, Supply = 0.9, BufferBits = 8 },
        };
        var cell = ImcSharp.Cost.CoreCostModel.Price("lstm", shapes, hw).Layers.Single(l => l.Op == "lstmcell");
        Assert.Equal(28 * 128 * (27.8e-12 + 11 * 8 * 10e-12 / 64), cell.Energy.DigitalOps, 1e-17);
    }

    [Fact]
    public void GainRegistersCompensateTheSequenceAndRecurrentProjections()
    {
        using var scope = NewDisposeScope();
        var node = JsonNode.Parse(File.ReadAllText(Repo.Path("experiments/hw/current-rram-cco-realistic-harsh.json")))!;
        node["compensation"] = JsonNode.Parse("""{ "output_gain": true, "images": 100 }""");
        node["keep_first_digital"] = false;
        var hw = HardwareConfig.Parse(node.ToJsonString(), "harsh.json");
        var norm = new Normalization(new[] { 0.5f }, new[] { 0.25f });
        var gen = new Generator(5);
        using var train = new ImageSet("synthetic", randint(0, 256, new long[] { 100, 1, 28, 28 }, generator: gen)
            .to_type(ScalarType.Byte), randint(0, 10, new long[] { 100 }, generator: gen), 10);
        var x = norm.Apply(train.Images);
        using var model = Build("lstm", 6);
        AnalogConversion.Convert(model, hw);
        AnalogConversion.CalibrateInputs(model, x);
        model.eval();
        using var compensation = ChipCompensation.Prepare(model, hw, n => train.Take(n), norm)!;
        AnalogConversion.Program(model, 2, corner: 4);          // the -19% corner
        // The output moments over all forwards of the pass, on the chip and on the digital network.
        Dictionary<string, (Tensor Mean, Tensor Std)> Moments()
        {
            var sums = new Dictionary<string, MomentSums>();
            var layers = AnalogConversion.Layers(model);
            foreach (var l in layers) l.OutputHook = (layer, y) =>
            {
                var s = OutputGainCalibration.Sums(layer.LayerName == "rnn.ih" ? y.movedim(new long[] { -1 }, new long[] { 1 }) : y, 1);
                sums[layer.LayerName] = sums.TryGetValue(layer.LayerName, out var p) ? p.Add(s) : s;
                return y;
            };
            using (no_grad()) model.call(x);
            foreach (var l in layers) l.OutputHook = null;
            return sums.ToDictionary(kv => kv.Key, kv => kv.Value.Moments());
        }
        var before = Moments();
        compensation.Measure(1);
        var chip = Moments();
        AnalogConversion.SetExecution(model, Execution.QuantizedDigital);
        var reference = Moments();
        double Error((Tensor Mean, Tensor Std) c, (Tensor Mean, Tensor Std) r) =>
            Math.Max(c.Std.div(r.Std).sub(1).abs().max().item<double>(),
                c.Mean.sub(r.Mean).abs().div(r.Std).max().item<double>());
        foreach (var name in new[] { "rnn.ih", "rnn.hh", "fc" })
            Assert.True(Error(chip[name], reference[name]) < 0.06,
                $"{name}: compensated moments off by {Error(chip[name], reference[name]):P1} of the digital spread");
        Assert.True(Error(before["rnn.ih"], reference["rnn.ih"]) > 0.1, "the slow corner's outputs were off to begin with");
    }
}
