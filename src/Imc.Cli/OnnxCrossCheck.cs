using Microsoft.ML.OnnxRuntime;
using DenseTensor = Microsoft.ML.OnnxRuntime.Tensors.DenseTensor<float>;
using static TorchSharp.torch;

namespace ImcSharp.Cli;

/// <summary>
/// An imported ONNX graph run side by side with ONNX Runtime on the same inputs: a graph ImcSharp
/// misreads (an attribute ignored, an operator's convention mistaken) is caught at import, not in
/// a result. Inputs: <see cref="Samples"/> seeded uniform images in [0, 1) of the import's shape.
/// The import is refused when max |y_ImcSharp - y_ORT| exceeds <see cref="Tolerance"/> x max(1, max |y_ORT|)
/// (float32 rounding of a few hundred sums stays near 1e-6 of the scale).
/// </summary>
public static class OnnxCrossCheck
{
    public const double Tolerance = 1e-4;
    public const int Samples = 4;

    /// <summary>Largest absolute output difference and the largest |ONNX Runtime output|.</summary>
    public static (double MaxAbsDifference, double Scale) Compare(string modelPath, nn.Module<Tensor, Tensor> network,
        int c, int h, int w)
    {
        using var session = new InferenceSession(modelPath);
        var (name, meta) = session.InputMetadata.First();
        // A graph exported with a fixed batch takes one image at a time.
        int batch = meta.Dimensions is { Length: > 0 } d && d[0] > 0 ? d[0] : Samples;
        var x = rand(new long[] { Samples, c, h, w }, generator: new Generator(17));
        double maxDiff = 0, scale = 0;
        using var noGrad = no_grad();
        network.eval();
        for (int s0 = 0; s0 < Samples; s0 += batch)
        {
            int n = Math.Min(batch, Samples - s0);
            using var part = x.narrow(0, s0, n).contiguous();
            var data = part.data<float>().ToArray();
            using var results =
                session.Run(
                new[] { NamedOnnxValue.CreateFromTensor(name, new DenseTensor(data, new[] { n, c, h, w })) });
            var ort = results.First().AsEnumerable<float>().ToArray();
            using var ours = network.call(part).contiguous();
            var mine = ours.data<float>().ToArray();
            if (mine.Length != ort.Length)
                throw new ImcInputException(
                    $"{modelPath}: ImcSharp gives {mine.Length} outputs for {n} images, ONNX Runtime {ort.Length}: " +
                    "the graph is misread");
            for (int i = 0; i < ort.Length; i++)
            {
                maxDiff = Math.Max(maxDiff, Math.Abs((double)mine[i] - ort[i]));
                scale = Math.Max(scale, Math.Abs((double)ort[i]));
            }
        }
        return (maxDiff, scale);
    }
}
