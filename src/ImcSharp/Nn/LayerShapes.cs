using ImcSharp.Config;
using ImcSharp.Cost;
using ImcSharp.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace ImcSharp.Nn;

/// <summary>
/// The weight layers of a network as the cost model prices them, then its digital operations (attention, softmax,
/// LayerNorm, GELU: <see cref="DigitalOps"/>), recorded by one forward pass.
/// </summary>
public static class LayerShapes
{
    /// <summary>
    /// The weight layers of <paramref name="spec"/>'s network, from one forward of an input of its shape.
    /// </summary>
    public static List<LayerShape> Of(ModelSpec spec) =>
        Of(spec.Build, new long[] { spec.InChannels, spec.Height, spec.Width });

    /// <summary>
    /// <paramref name="build"/> makes a fresh instance (shapes only: the caller's trained model is
    /// not touched); every weight layer is converted in float execution and one forward pass of a
    /// zero input of <paramref name="inputShape"/> (C, H, W) records its input vectors per sample.
    /// </summary>
    public static List<LayerShape> Of(Func<nn.Module<Tensor, Tensor>> build, long[] inputShape)
    {
        using var scope = NewDisposeScope();
        using var model = build();
        AnalogConversion.Convert(model, new HardwareConfig());
        AnalogConversion.SetExecution(model, Execution.Float);
        model.eval();
        foreach (var l in AnalogConversion.Layers(model)) l.ResetCounts();
        var ops = new DigitalOps.Recording();
        var before = DigitalOps.Recorder;
        DigitalOps.Recorder = ops;
        try
        {
            using (no_grad()) model.call(zeros(new long[] { 1 }.Concat(inputShape).ToArray()));
        }
        finally { DigitalOps.Recorder = before; }
        return AnalogConversion.LayersDepthFirst(model)
            .Select(l => new LayerShape(l.LayerName, l.WeightMatrix().size(1), l.weight.size(0), l.VectorsPerSample))
            .Concat(ops.Ops.Select(LayerShape.Of))
            .ToList();
    }
}
