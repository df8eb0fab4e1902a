using ImcSharp.Nn;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace ImcSharp.Models;

/// <summary>
/// LeNet-5 with ReLU and max pooling: conv 5x5 (6, padding 2 so 28x28 input keeps LeNet's 28x28
/// feature map) - pool - conv 5x5 (16) - pool - fc 120 - fc 84 - fc classes.
/// </summary>
public sealed class LeNet5 : nn.Module<Tensor, Tensor>
{
    private nn.Module<Tensor, Tensor> conv1, conv2;
    private nn.Module<Tensor, Tensor> fc1, fc2, fc3;

    public LeNet5(int inChannels, int height, int width, int classes) : base("LeNet5")
    {
        conv1 = new FloatConv2d(inChannels, 6, (5, 5), padding: (2, 2));
        conv2 = new FloatConv2d(6, 16, (5, 5));
        int h = (height / 2 - 4) / 2, w = (width / 2 - 4) / 2;
        if (h < 1 || w < 1) throw new ImcInputException(
            $"LeNet-5 needs inputs of at least 12x12, got {height}x{width}");
        fc1 = nn.Linear(16 * h * w, 120);
        fc2 = nn.Linear(120, 84);
        fc3 = nn.Linear(84, classes);
        RegisterComponents();
    }

    public override Tensor forward(Tensor x)
    {
        x = nn.functional.max_pool2d(nn.functional.relu(conv1.call(x)), 2);
        x = nn.functional.max_pool2d(nn.functional.relu(conv2.call(x)), 2);
        x = x.flatten(1);
        x = nn.functional.relu(fc1.call(x));
        x = nn.functional.relu(fc2.call(x));
        return fc3.call(x);
    }
}
