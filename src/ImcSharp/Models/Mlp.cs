using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace ImcSharp.Models;

/// <summary>Fully connected network, 784-256-128-10 by default, ReLU between layers.</summary>
public sealed class Mlp : nn.Module<Tensor, Tensor>
{
    private ModuleList<nn.Module<Tensor, Tensor>> layers;

    public Mlp(int inputs, int[] hidden, int classes) : base("Mlp")
    {
        layers = new ModuleList<nn.Module<Tensor, Tensor>>();
        int width = inputs;
        foreach (var h in hidden)
        {
            layers.Add(nn.Linear(width, h));
            width = h;
        }
        layers.Add(nn.Linear(width, classes));
        RegisterComponents();
    }

    public override Tensor forward(Tensor x)
    {
        x = x.flatten(1);
        for (int i = 0; i < layers.Count; i++)
        {
            x = layers[i].call(x);
            if (i < layers.Count - 1) x = nn.functional.relu(x);
        }
        return x;
    }
}
