using ImcSharp.Models;
using static TorchSharp.torch;

namespace ImcSharp.Tests.Models;

public class ModelTests
{
    [Theory]
    [InlineData("mlp", 1, 28)]
    [InlineData("lenet5", 1, 28)]
    [InlineData("lenet5", 3, 32)]
    [InlineData("vgg8", 1, 28)]
    [InlineData("vgg8", 3, 32)]
    [InlineData("resnet20", 1, 28)]
    [InlineData("resnet20", 3, 32)]
    public void ForwardGivesOneLogitPerClass(string name, int channels, int side)
    {
        using var scope = NewDisposeScope();
        var model = new ModelSpec(name, channels, side, side, 10).Build();
        model.eval();
        var y = model.call(randn(2, channels, side, side));
        Assert.Equal(new long[] { 2, 10 }, y.shape);
    }

    [Theory]
    [InlineData("vgg8")]
    [InlineData("resnet20")]
    public void AForwardFreesItsStepsTemporariesAndStillTrains(string name)
    {
        manual_seed(3);
        var model = new ModelSpec(name, 1, 28, 28, 10).Build();
        model.train();
        var x = randn(4, 1, 28, 28);
        var y = tensor(new long[] { 1, 2, 3, 4 });
        Tensor[] Gradients(bool scoped)
        {
            model.zero_grad();
            using var scope = scoped ? NewDisposeScope() : null;
            var loss = nn.functional.cross_entropy(model.call(x), y);
            // Only the logits, the loss and the last step's leftovers stay in the caller's scope,
            // not every activation of every layer (ResNet-20 kept 65 of them, VGG-8 27).
            if (scope is not null) Assert.InRange(scope.DisposablesCount, 1, 12);
            loss.backward();
            return model.parameters().Select(p => p.grad!.clone().DetachFromDisposeScope()).ToArray();
        }
        var inScope = Gradients(true);
        var bare = Gradients(false);
        Assert.All(inScope, g => Assert.True(g.isfinite().all().item<bool>()));
        Assert.True(inScope.Zip(bare).All(p => p.First.equal(p.Second).all().item<bool>()));
        Assert.Contains(inScope, g => g.abs().sum().item<float>() > 0);
    }

    [Fact]
    public void ParameterCountsMatchTheArchitectures()
    {
        long Count(string n) => new ModelSpec(n, 1, 28, 28, 10).Build().parameters().Sum(p => p.numel());
        // MLP 784-256-128-10: 784*256+256 + 256*128+128 + 128*10+10
        Assert.Equal(784 * 256 + 256 + 256 * 128 + 128 + 128 * 10 + 10, Count("mlp"));
        // LeNet-5 (28x28, padded conv1): 6*25+6 + 16*6*25+16 + 400*120+120 + 120*84+84 + 84*10+10
        Assert.Equal(156 + 2416 + 48120 + 10164 + 850, Count("lenet5"));
        // ResNet-20 has about 0.27 M parameters (He et al. 2016); ours uses 1x1 projection shortcuts.
        Assert.InRange(Count("resnet20"), 265_000, 280_000);
    }

    [Fact]
    public void UnknownModelIsAClearError()
    {
        var e = Assert.Throws<ImcInputException>(() => ModelSpec.Canonical("alexnet"));
        Assert.Contains("lenet5", e.Message);
    }
}
