using System.Diagnostics;
using ImcSharp.Data;
using ImcSharp.Nn;
using ImcSharp.Training;
using static TorchSharp.torch;

namespace ImcSharp.Cli;

/// <summary>
/// How long a Monte Carlo evaluation will take, measured before it starts: the first chip is
/// programmed and up to <see cref="ProbeImages"/> test images are run on it, and the run is
/// estimated as chips x (programming + images / measured rate). A run estimated past
/// <see cref="ConfirmAbove"/> needs --yes: `--chips 100000` on one image ran for hours without a word.
/// </summary>
public static class WorkPlan
{
    public const int ProbeImages = 256;
    public static readonly TimeSpan ConfirmAbove = TimeSpan.FromHours(1);

    public static TimeSpan EstimateChips(nn.Module<Tensor, Tensor> model, ImageSet test, Normalization norm, long firstChip, int chips)
    {
        var sw = Stopwatch.StartNew();
        AnalogConversion.Program(model, firstChip);
        double program = sw.Elapsed.TotalSeconds;
        using var probe = test.Take(ProbeImages);
        sw.Restart();
        Evaluator.Evaluate(model, probe, norm);
        double perImage = sw.Elapsed.TotalSeconds / Math.Max(1, probe.Count);
        return TimeSpan.FromSeconds(chips * (program + perImage * test.Count));
    }

    public static string Show(TimeSpan t) =>
        t.TotalHours >= 1 ? $"{t.TotalHours:F1} h" : t.TotalMinutes >= 1 ? $"{t.TotalMinutes:F0} min" : $"{Math.Max(1, t.TotalSeconds):F0} s";
}
