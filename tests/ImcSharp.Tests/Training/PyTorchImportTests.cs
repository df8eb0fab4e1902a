using System.Collections;
using ImcSharp.Data;
using ImcSharp.Models;
using ImcSharp.Tests.BadInputs;
using ImcSharp.Training;
using TorchSharp;
using TorchSharp.PyBridge;
using static TorchSharp.torch;

namespace ImcSharp.Tests.Training;

/// <summary>
/// Networks trained in PyTorch: the committed fixtures were written by
/// scripts/fixtures/pytorch_models.py with python3-torch (a seeded LeNet-5 and its outputs on fixed inputs).
/// </summary>
public class PyTorchImportTests
{
    static string Fixture(string name) => Repo.Path("tests", "ImcSharp.Tests", "Fixtures", name);
    static readonly ModelSpec LeNet = new("lenet5", 1, 28, 28, 10);

    [Fact]
    public void APyTorchStateDictGivesPyTorchsOutputs()
    {
        using var scope = NewDisposeScope();
        using var model = PyTorchImport.Load(Fixture("lenet5-state-dict.pt"), LeNet);
        model.eval();
        var io = PyTorchUnpickler.UnpickleStateDict(Fixture("lenet5-io.pt"));
        var x = (Tensor)io["input"]!;
        var expected = (Tensor)io["output"]!;
        using (no_grad())
        {
            var y = model.call(x);
            Assert.True(allclose(y, expected, rtol: 1e-5, atol: 1e-5), $"max |difference| {(y - expected).abs().max().item<float>()}");
        }
    }

    [Fact]
    public void ImportWritesACheckpointTheOtherCommandsTake()
    {
        var dir = Synthetic.TempDir();
        var ckpt = Path.Combine(dir, "lenet5.ckpt");
        var (code, err) = BadInputCorpusTests.Run("import", Fixture("lenet5-state-dict.pt"), "--model", "lenet5", "--out", ckpt, "--mean", "0.286", "--std", "0.353");
        Assert.True(code == 0, err);
        var info = Checkpoint.ReadInfo(ckpt);
        Assert.Equal(LeNet, info.Spec);
        Assert.Equal(new[] { 0.286f }, info.Normalization.Mean);
        Assert.Equal(new[] { 0.353f }, info.Normalization.Std);
        var (_, loaded) = Checkpoint.Load(ckpt);
        using (loaded)
        using (var direct = PyTorchImport.Load(Fixture("lenet5-state-dict.pt"), LeNet))
            Assert.All(direct.state_dict(), kv => Assert.True(loaded.state_dict()[kv.Key].allclose(kv.Value, 0, 0), kv.Key));
        var data = Synthetic.MnistDir(train: 64, test: 32);
        Assert.Equal(0, BadInputCorpusTests.Run("eval", "--checkpoint", ckpt, "--dataset", "mnist", "--data", data).Code);
    }

    [Fact]
    public void AStateDictOfAnotherShapeListsWhatDoesNotMatch()
    {
        // An MLP with other widths, written in PyTorch's format (TorchSharp.PyBridge's pickler).
        var path = Path.Combine(Synthetic.TempDir(), "mlp.pt");
        var d = new Hashtable { ["layers.0.weight"] = zeros(200, 784), ["layers.0.bias"] = zeros(200), ["layers.1.weight"] = zeros(128, 200),
            ["layers.2.weight"] = zeros(10, 128), ["layers.2.bias"] = zeros(10), ["extra.weight"] = zeros(3) };
        PyTorchPickler.PickleStateDict(path, d);
        var e = Assert.Throws<ImcInputException>(() => PyTorchImport.Load(path, new ModelSpec("mlp", 1, 28, 28, 10)));
        Assert.Contains("missing layers.1.bias", e.Message);
        Assert.Contains("unexpected extra.weight", e.Message);
        Assert.Contains("mis-shaped layers.0.weight [200, 784] where mlp has [256, 784]", e.Message);
        File.WriteAllText(path, "not a pickle");
        Assert.Contains("not a PyTorch state dict", Assert.Throws<ImcInputException>(() => PyTorchImport.Load(path, new ModelSpec("mlp", 1, 28, 28, 10))).Message);
    }
}
