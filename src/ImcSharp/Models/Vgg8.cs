using ImcSharp.Nn;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace ImcSharp.Models;

/// <summary>
/// VGG-8 style: three stages of two 3x3 conv + BatchNorm + ReLU (32, 64, 128 channels), each
/// followed by 2x2 max pooling, then global average pooling and two fully connected layers
/// (6 conv + 2 fc = 8 weight layers). Global pooling makes it work on 28x28 and 32x32 inputs.
/// </summary>
public sealed class Vgg8 : nn.Module<Tensor, Tensor>
{
    private ModuleList<nn.Module<Tensor, Tensor>> features;
    private nn.Module<Tensor, Tensor> fc1, fc2;

    public Vgg8(int inChannels, int classes, int baseWidth = 32) : base("Vgg8")
    {
        features = new ModuleList<nn.Module<Tensor, Tensor>>();
        int c = inChannels;
        foreach (var width in new[] { baseWidth, baseWidth, 2 * baseWidth, 2 * baseWidth, 4 * baseWidth,
            4 * baseWidth })
        {
            features.Add(new FloatConv2d(c, width, (3, 3), padding: (1, 1), hasBias: false));
            features.Add(nn.BatchNorm2d(width));
            c = width;
        }
        fc1 = nn.Linear(c, 2 * c);
        fc2 = nn.Linear(2 * c, classes);
        RegisterComponents();
    }

    public override Tensor forward(Tensor x)
    {
        var h = x;
        for (int i = 0; i < features.Count; i += 2)
        {
            int layer = i;
            h = Steps.Then(h, x, v =>
            {
                var y = nn.functional.relu(features[layer + 1].call(features[layer].call(v)));
                return layer % 4 == 2 ? nn.functional.max_pool2d(y, 2) : y;
            });
        }
        return Steps.Then(h, x,
            v => fc2.call(nn.functional.relu(fc1.call(nn.functional.adaptive_avg_pool2d(v, 1).flatten(1)))));
    }
}
