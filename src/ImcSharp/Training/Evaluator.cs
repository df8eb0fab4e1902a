using ImcSharp.Data;
using TorchSharp;
using static TorchSharp.torch;

namespace ImcSharp.Training;

public sealed record EvalResult(long Samples, long Correct, double Loss)
{
    public double Accuracy => Samples == 0 ? 0 : (double)Correct / Samples;
}

/// <summary>Test-set accuracy and mean cross-entropy of a model, in eval mode, without gradients.</summary>
public static class Evaluator
{
    public static EvalResult Evaluate(nn.Module<Tensor, Tensor> model, ImageSet set, Normalization norm,
        int batchSize = 500, ProgressSink? progress = null, string phase = "eval")
    {
        model.eval();
        var loader = new BatchLoader(set, norm, batchSize);
        long seen = 0, correct = 0;
        double lossSum = 0;
        int step = 0;
        var device = ComputeTarget.Of(model);
        using var noGrad = no_grad();
        foreach (var (images, labels) in Batches(loader))
        {
            using var scope = NewDisposeScope();
            var (x, y) = (ComputeTarget.On(images, device), ComputeTarget.On(labels, device));
            var logits = model.call(x);
            lossSum += nn.functional.cross_entropy(logits, y, reduction: nn.Reduction.Sum).item<float>();
            correct += logits.argmax(1).eq(y).sum().item<long>();
            seen += y.shape[0];
            step++;
            progress?.Invoke(new ProgressUpdate(phase, step, loader.BatchCount, lossSum / seen, (double)correct / seen));
        }
        return new EvalResult(seen, correct, seen == 0 ? 0 : lossSum / seen);
    }

    // Batches are made inside the caller's per-batch scope, so each is freed with it.
    static IEnumerable<(Tensor, Tensor)> Batches(BatchLoader loader) => loader.Epoch(0, 0, shuffle: false);
}
