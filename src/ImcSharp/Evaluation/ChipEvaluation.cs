using ImcSharp.Data;
using ImcSharp.Nn;
using ImcSharp.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace ImcSharp.Evaluation;

/// <summary>Accuracy over chips: mean, standard deviation, worst chip, 5th percentile, best chip.</summary>
public sealed record AccuracyStats(double Mean, double Std, double Min, double P5, double Max)
{
    public static AccuracyStats Of(IReadOnlyList<double> xs)
    {
        if (xs.Count == 0) throw new ArgumentException("no values", nameof(xs));
        var sorted = xs.OrderBy(x => x).ToArray();
        double mean = sorted.Average();
        double std = sorted.Length > 1 ? Math.Sqrt(sorted.Sum(x => (x - mean) * (x - mean)) / (sorted.Length - 1)) : 0;
        return new AccuracyStats(mean, std, sorted[0], Percentile(sorted, 5), sorted[^1]);
    }

    /// <summary>Linear interpolation between closest ranks (the default of NumPy's percentile).</summary>
    public static double Percentile(double[] sorted, double p)
    {
        double rank = p / 100 * (sorted.Length - 1);
        int lo = (int)Math.Floor(rank), hi = (int)Math.Ceiling(rank);
        return sorted[lo] + (sorted[hi] - sorted[lo]) * (rank - lo);
    }
}

public sealed record ChipResult(long Chip, double Accuracy);

public sealed record ChipEvaluationResult(double FloatAccuracy, double QuantizedAccuracy, AccuracyStats Accuracy, List<ChipResult> PerChip);

/// <summary>
/// Evaluates an analog model on K chips: each chip is programmed once (persistent cell errors
/// drawn from its seed), then the whole test set runs on it. Also reports the float and the
/// quantized-digital accuracy of the same network for reference.
/// </summary>
public static class ChipEvaluation
{
    public static ChipEvaluationResult Run(nn.Module<Tensor, Tensor> analogModel, ImageSet test, Normalization norm,
        int chips, long firstChip = 0, ProgressSink? progress = null, int batchSize = 500)
    {
        if (chips < 1) throw new ImcInputException($"--chips {chips}: expected an integer >= 1");
        AnalogConversion.SetExecution(analogModel, Execution.Float);
        double fl = Evaluator.Evaluate(analogModel, test, norm, batchSize, progress, "float").Accuracy;
        AnalogConversion.SetExecution(analogModel, Execution.QuantizedDigital);
        double quant = Evaluator.Evaluate(analogModel, test, norm, batchSize, progress, "quantized").Accuracy;
        AnalogConversion.SetExecution(analogModel, Execution.Analog);
        var perChip = new List<ChipResult>();
        for (long k = firstChip; k < firstChip + chips; k++)
        {
            AnalogConversion.Program(analogModel, k);
            var acc = Evaluator.Evaluate(analogModel, test, norm, batchSize, progress, $"chip {k - firstChip + 1}/{chips}").Accuracy;
            perChip.Add(new ChipResult(k, acc));
        }
        return new ChipEvaluationResult(fl, quant, AccuracyStats.Of(perChip.Select(c => c.Accuracy).ToList()), perChip);
    }
}
