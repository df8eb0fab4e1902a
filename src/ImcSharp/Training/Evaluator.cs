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
        int batchSize = 500, ProgressSink? progress = null, string phase = "eval") =>
        EvaluateChips(model, set, norm, 1, batchSize, progress, phase)[0];

    /// <summary>
    /// The same on a model programmed with <paramref name="chips"/> chips at once
    /// (<see cref="Nn.AnalogConversion.ProgramChips"/>): every batch goes in once per chip, chip
    /// after chip, and each chip's result is counted on its own block of outputs.
    /// </summary>
    public static EvalResult[] EvaluateChips(nn.Module<Tensor, Tensor> model, ImageSet set, Normalization norm,
        int chips,
        int batchSize = 500, ProgressSink? progress = null, string phase = "eval")
    {
        if (chips < 1) throw new ArgumentOutOfRangeException(nameof(chips), chips, "expected at least one chip");
        model.eval();
        var loader = new BatchLoader(set, norm, batchSize);
        long seen = 0;
        var correct = new long[chips];
        var lossSum = new double[chips];
        int step = 0;
        var device = ComputeTarget.Of(model);
        using var noGrad = no_grad();
        foreach (var (images, labels) in Batches(loader))
        {
            using var scope = NewDisposeScope();
            var (x, y) = (ComputeTarget.On(images, device), ComputeTarget.On(labels, device));
            var logits =
                model.call(chips == 1 ? x
                : x.repeat(new[] { (long)chips }.Concat(Enumerable.Repeat(1L, (int)x.dim() - 1)).ToArray()));
            long b = y.size(0);
            for (int k = 0; k < chips; k++)
            {
                var lk = chips == 1 ? logits : logits.narrow(0, k * b, b);
                lossSum[k] += nn.functional.cross_entropy(lk, y, reduction: nn.Reduction.Sum).item<float>();
                correct[k] += lk.argmax(1).eq(y).sum().item<long>();
            }
            seen += b;
            step++;
            NativeRuntime.CollectFinalizable();
            progress?.Invoke(new ProgressUpdate(phase, step, loader.BatchCount, lossSum.Average() / seen,
                (double)correct.Sum() / chips / seen));
        }
        return Enumerable.Range(0, chips)
            .Select(k => new EvalResult(seen, correct[k], seen == 0 ? 0 : lossSum[k] / seen)).ToArray();
    }

    // Each batch is drawn inside a scope of its own and freed with it.
    static IEnumerable<(Tensor, Tensor)> Batches(BatchLoader loader) =>
        BatchLoader.Scoped(loader.Epoch(0, 0, shuffle: false));
}
