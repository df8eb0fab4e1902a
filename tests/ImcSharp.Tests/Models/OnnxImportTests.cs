using ImcSharp.Config;
using ImcSharp.Models;
using ImcSharp.Nn;
using ImcSharp.Tests.BadInputs;
using ImcSharp.Training;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using TorchSharp;
using static TorchSharp.torch;

namespace ImcSharp.Tests.Models;

/// <summary>
/// The ONNX importer against ONNX Runtime on the committed fixtures (exported by PyTorch with
/// scripts/fixtures/onnx_models.py): same inputs, outputs within 1e-4 of the output range.
/// </summary>
public class OnnxImportTests(Xunit.Abstractions.ITestOutputHelper output)
{
    static string Fixture(string name) => Repo.Path("tests", "ImcSharp.Tests", "Fixtures", "onnx", name);

    public static (float[] Ort, float[] Imported, double Range) Compare(string name, long[] shape)
    {
        var x = rand(shape, generator: new Generator(11));
        var data = x.data<float>().ToArray();
        using var session = new InferenceSession(Fixture(name));
        using var results = session.Run(new[] { NamedOnnxValue.CreateFromTensor(session.InputMetadata.Keys.First(), new DenseTensor<float>(data, shape.Select(d => (int)d).ToArray())) });
        var ort = results.First().AsEnumerable<float>().ToArray();
        using var net = OnnxNetwork.Load(Fixture(name));
        net.eval();
        using var noGrad = no_grad();
        var imported = net.call(x).data<float>().ToArray();
        return (ort, imported, ort.Max() - ort.Min());
    }

    [Theory]
    [InlineData("lenet5.onnx", new long[] { 5, 1, 28, 28 })]
    [InlineData("resnet20.onnx", new long[] { 3, 1, 28, 28 })]
    [InlineData("depthwise.onnx", new long[] { 4, 3, 16, 16 })]
    [InlineData("concat.onnx", new long[] { 6, 1, 8, 8 })]
    [InlineData("lstm.onnx", new long[] { 5, 1, 28, 28 })]
    [InlineData("gru.onnx", new long[] { 5, 1, 28, 28 })]
    [InlineData("vit.onnx", new long[] { 5, 1, 28, 28 })]
    public void ImportedNetworksAgreeWithOnnxRuntime(string name, long[] shape)
    {
        using var scope = NewDisposeScope();
        var (ort, imported, range) = Compare(name, shape);
        Assert.Equal(ort.Length, imported.Length);
        double maxDiff = ort.Zip(imported, (a, b) => Math.Abs(a - b)).Max();
        output.WriteLine($"{name}: max |ImcSharp - ONNX Runtime| = {maxDiff:G3}, output range {range:G3}, ratio {maxDiff / range:G3}");
        Assert.True(maxDiff <= 1e-4 * range, $"{name}: max |difference| {maxDiff:G3} over an output range of {range:G3}");
    }

    [Fact]
    public void AnImportedForwardFreesEachValueAfterItsLastUse()
    {
        using var net = OnnxNetwork.Load(Fixture("resnet20.onnx"));
        net.eval();
        using var noGrad = no_grad();
        var x = rand(new long[] { 2, 1, 28, 28 }, generator: new Generator(5));
        using var scope = NewDisposeScope();
        var y = net.call(x);
        // The output and at most a few leftovers, not ResNet-20's every activation.
        Assert.InRange(scope.DisposablesCount, 1, 4);
        Assert.False(x.IsInvalid);
        Assert.Equal(new long[] { 2, 10 }, y.shape);
    }

    [Fact]
    public void AnImportedNetworkIsACheckpointThatRunsExactlyOnTheIdealCore()
    {
        using var scope = NewDisposeScope();
        var ckpt = Path.Combine(Synthetic.TempDir(), "resnet20.ckpt");
        var (code, err) = BadInputCorpusTests.Run("import", Fixture("resnet20.onnx"), "--out", ckpt);
        Assert.True(code == 0, err);
        var (info, model) = Checkpoint.Load(ckpt);
        using (model)
        {
            Assert.Equal((ModelSpec.OnnxName, 1, 28, 28, 10), (info.Spec.Name, info.Spec.InChannels, info.Spec.Height, info.Spec.Width, info.Spec.Classes));
            model.eval();
            var x = rand(new long[] { 2, 1, 28, 28 }, generator: new Generator(3));
            using (var direct = OnnxNetwork.Load(Fixture("resnet20.onnx")))
            {
                direct.eval();
                using var g = no_grad();
                Assert.True(allclose(direct.call(x), model.call(x), 0, 0), "the checkpoint rebuilds the same network");
            }
            // Every Conv and Gemm becomes an analog layer; on the ideal core the network is the quantized one exactly.
            AnalogConversion.Convert(model, HardwareConfig.Load(Repo.Path("configs", "ideal-exact.json")));
            Assert.Equal(22, AnalogConversion.Layers(model).Count);
            AnalogConversion.CalibrateInputs(model, x);
            AnalogConversion.SetExecution(model, Execution.QuantizedDigital);
            var quantized = model.call(x);
            AnalogConversion.SetExecution(model, Execution.Analog);
            Assert.True(TensorAssert.Same(model.call(x), quantized));
        }
    }

    [Theory]
    [Trait("Category", "Slow")]
    [InlineData("lenet5.onnx", 416520L)]                 // LeNet-5's MACs, as the built-in one
    [InlineData("vit.onnx", 340928L)]                    // the transformer's: 303,936 in its layers, 36,992 in attention
    public void AnImportedNetworkIsFineTunedWithTheHardwareInTheLoopAndPriced(string name, long macs)
    {
        var dir = Synthetic.TempDir();
        var ckpt = Path.Combine(dir, "imported.ckpt");
        Assert.Equal(0, BadInputCorpusTests.Run("import", Fixture(name), "--out", ckpt).Code);
        var data = Synthetic.MnistDir(train: 128, test: 32);
        var (code, err) = BadInputCorpusTests.Run("train", "--hw", Repo.Path("configs", "puma-reference.json"), "--init", ckpt, "--dataset", "mnist", "--data", data,
            "--epochs", "1", "--calibration-images", "64", "--out", Path.Combine(dir, "aware"));
        Assert.True(code == 0, err);
        var aware = Checkpoint.ReadInfo(Path.Combine(dir, "aware", "onnx-aware.ckpt"));
        Assert.Equal(ModelSpec.OnnxName, aware.Spec.Name);
        Assert.NotNull(aware.Spec.Onnx);
        var json = Path.Combine(dir, "cost.json");
        Assert.Equal(0, BadInputCorpusTests.Run("cost", "--hw", Repo.Path("configs", "puma-reference.json"), "--checkpoint", ckpt, "--json", json).Code);
        using var doc = System.Text.Json.JsonDocument.Parse(File.ReadAllText(json));
        Assert.Equal(macs, doc.RootElement.GetProperty("macs").GetInt64());
    }

    [Fact]
    public void AnUnsupportedOperatorIsOneErrorNamingTheNode()
    {
        var model = Onnx.ModelProto.Parser.ParseFrom(File.ReadAllBytes(Fixture("lenet5.onnx")));
        var relu = model.Graph.Node.First(n => n.OpType == "Relu");
        relu.OpType = "Einsum";
        var path = Path.Combine(Synthetic.TempDir(), "einsum.onnx");
        File.WriteAllBytes(path, Google.Protobuf.MessageExtensions.ToByteArray(model));
        var e = Assert.Throws<ImcInputException>(() => OnnxNetwork.Load(path));
        Assert.Contains($"node '{relu.Name}' (Einsum): operator not supported; supported: Add, AveragePool, BatchNormalization, Cast, Clip", e.Message);
        File.WriteAllText(path, "not protobuf at all, but long enough to look like something");
        Assert.Contains("not an ONNX model", Assert.Throws<ImcInputException>(() => OnnxNetwork.Load(path)).Message);
    }

    /// <summary>
    /// A model saved with external data (weights in a side file beside it, as onnx's
    /// save_as_external_data writes them) imports as the same network as the one file; without the
    /// side file, or with it short, it is one clear error instead of an all-zero network.
    /// </summary>
    [Fact]
    public void ExternalDataIsReadFromBesideTheModelOrRefused()
    {
        using var scope = NewDisposeScope();
        var dir = Synthetic.TempDir();
        var model = Onnx.ModelProto.Parser.ParseFrom(File.ReadAllBytes(Fixture("lenet5.onnx")));
        using var side = new MemoryStream();
        foreach (var t in model.Graph.Initializer.Where(t => t.RawData.Length > 0))
        {
            long offset = side.Length;
            t.RawData.WriteTo(side);
            t.ExternalData.Add(new Onnx.StringStringEntryProto { Key = "location", Value = "weights.bin" });
            t.ExternalData.Add(new Onnx.StringStringEntryProto { Key = "offset", Value = offset.ToString() });
            t.ExternalData.Add(new Onnx.StringStringEntryProto { Key = "length", Value = t.RawData.Length.ToString() });
            t.RawData = Google.Protobuf.ByteString.Empty;
            t.DataLocation = Onnx.TensorProto.Types.DataLocation.External;
        }
        var path = Path.Combine(dir, "lenet5-external.onnx");
        File.WriteAllBytes(path, Google.Protobuf.MessageExtensions.ToByteArray(model));
        File.WriteAllBytes(Path.Combine(dir, "weights.bin"), side.ToArray());
        Assert.True(SameAsLeNet5Fixture(path));
        File.WriteAllBytes(Path.Combine(dir, "weights.bin"), side.ToArray()[..100]);
        Assert.Contains("weights.bin, which has 100", Assert.Throws<ImcInputException>(() => OnnxNetwork.Load(path)).Message);
        File.Delete(Path.Combine(dir, "weights.bin"));
        Assert.Contains("is not beside the model", Assert.Throws<ImcInputException>(() => OnnxNetwork.Load(path)).Message);
    }

    /// <summary>An initializer that holds no data, an empty file and a file without a graph are refused, each saying what it is.</summary>
    [Fact]
    public void AModelWithoutItsDataOrGraphIsRefused()
    {
        var dir = Synthetic.TempDir();
        var model = Onnx.ModelProto.Parser.ParseFrom(File.ReadAllBytes(Fixture("lenet5.onnx")));
        var first = model.Graph.Initializer.First(t => t.RawData.Length > 0);
        first.RawData = Google.Protobuf.ByteString.Empty;
        var path = Path.Combine(dir, "nodata.onnx");
        File.WriteAllBytes(path, Google.Protobuf.MessageExtensions.ToByteArray(model));
        Assert.Contains($"initializer '{first.Name}' holds no data", Assert.Throws<ImcInputException>(() => OnnxNetwork.Load(path)).Message);
        var empty = Path.Combine(dir, "empty.onnx");
        File.WriteAllBytes(empty, Array.Empty<byte>());
        Assert.Contains("empty file", Assert.Throws<ImcInputException>(() => OnnxNetwork.Load(empty)).Message);
        var graphless = Path.Combine(dir, "graphless.onnx");
        File.WriteAllBytes(graphless, Google.Protobuf.MessageExtensions.ToByteArray(new Onnx.ModelProto { IrVersion = 7 }));
        Assert.Contains("no graph of operators", Assert.Throws<ImcInputException>(() => OnnxNetwork.Load(graphless)).Message);
    }

    /// <summary>A NaN or infinite weight is refused when imported and when a checkpoint holding one is loaded, the same way.</summary>
    [Theory]
    [InlineData(float.NaN)]
    [InlineData(float.PositiveInfinity)]
    public void NonFiniteWeightsAreRefusedAtImportAndAtLoad(float bad)
    {
        using var scope = NewDisposeScope();
        var dir = Synthetic.TempDir();
        using var net = OnnxNetwork.Load(Fixture("lenet5.onnx"));
        var (name, p) = net.named_parameters().First();
        using (no_grad()) p.view(-1)[0] = tensor(bad);
        var spec = new ModelSpec(ModelSpec.OnnxName, 1, 28, 28, 10) { Onnx = net.GraphWithoutWeights() };
        var ckpt = Path.Combine(dir, "bad.ckpt");
        var e = Assert.Throws<ImcInputException>(() => ImcSharp.Training.Checkpoint.SaveImported(ckpt, Fixture("lenet5.onnx"), "onnx", spec,
            new ImcSharp.Data.Normalization(new[] { 0f }, new[] { 1f }), "mnist", net));
        Assert.Contains($"{name} holds NaN or infinite values", e.Message);
        Assert.False(File.Exists(ckpt));
    }

    /// <summary>
    /// A graph exported with a fixed batch (a Reshape to [1, 400] in place of LeNet-5's Flatten)
    /// runs any batch size, as the graph with a free batch does (it failed every evaluation with
    /// libtorch's shape error).
    /// </summary>
    [Fact]
    public void AFixedBatchReshapeRunsAnyBatch()
    {
        using var scope = NewDisposeScope();
        var model = Onnx.ModelProto.Parser.ParseFrom(File.ReadAllBytes(Fixture("lenet5.onnx")));
        var flatten = model.Graph.Node.Single(n => n.OpType == "Flatten");
        var shape = new Onnx.TensorProto { Name = "fixed_batch_shape", DataType = (int)Onnx.TensorProto.Types.DataType.Int64 };
        shape.Dims.Add(2);
        shape.Int64Data.Add(new long[] { 1, 400 });
        model.Graph.Initializer.Add(shape);
        flatten.OpType = "Reshape";
        flatten.Attribute.Clear();
        flatten.Input.Add("fixed_batch_shape");
        var path = Path.Combine(Synthetic.TempDir(), "fixed-batch.onnx");
        File.WriteAllBytes(path, Google.Protobuf.MessageExtensions.ToByteArray(model));
        Assert.True(SameAsLeNet5Fixture(path));
    }

    /// <summary>Whether the model at <paramref name="path"/> gives the LeNet-5 fixture's outputs bit for bit on three images.</summary>
    static bool SameAsLeNet5Fixture(string path)
    {
        using var scope = NewDisposeScope();
        var x = rand(new long[] { 3, 1, 28, 28 }, generator: new Generator(5));
        using var g = no_grad();
        using var fixture = OnnxNetwork.Load(Fixture("lenet5.onnx"));
        using var other = OnnxNetwork.Load(path);
        fixture.eval();
        other.eval();
        return TensorAssert.Same(fixture.call(x), other.call(x));
    }

    /// <summary>
    /// The import's cross-check against ONNX Runtime: every committed fixture agrees within float32
    /// rounding (under 1e-6 of its outputs' scale); a network that computes something else (one
    /// weight changed, as a misread attribute would) is far outside the tolerance.
    /// </summary>
    [Theory]
    [InlineData("lenet5.onnx", 1, 28, 28)]
    [InlineData("resnet20.onnx", 1, 28, 28)]
    [InlineData("depthwise.onnx", 3, 16, 16)]
    [InlineData("concat.onnx", 1, 8, 8)]
    [InlineData("lstm.onnx", 1, 28, 28)]
    [InlineData("gru.onnx", 1, 28, 28)]
    [InlineData("vit.onnx", 1, 28, 28)]
    public void TheImportCrossCheckAgreesOnEveryFixtureAndCatchesAMisreading(string name, int c, int h, int w)
    {
        using var scope = NewDisposeScope();
        using var net = OnnxNetwork.Load(Fixture(name));
        var (difference, scale) = ImcSharp.Cli.OnnxCrossCheck.Compare(Fixture(name), net, c, h, w);
        Assert.True(difference <= 1e-6 * Math.Max(1, scale), $"{name}: {difference:G3}");
        using (no_grad()) net.parameters().First().view(-1)[0].add_(1.0);
        var (misread, scale2) = ImcSharp.Cli.OnnxCrossCheck.Compare(Fixture(name), net, c, h, w);
        Assert.True(misread > ImcSharp.Cli.OnnxCrossCheck.Tolerance * Math.Max(1, scale2), $"{name}: a changed weight gave only {misread:G3}");
    }
}

