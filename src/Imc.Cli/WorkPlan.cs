using System.Diagnostics;
using ImcSharp.Config;
using ImcSharp.Data;
using ImcSharp.Models;
using ImcSharp.Nn;
using ImcSharp.Training;
using static TorchSharp.torch;

namespace ImcSharp.Cli;

/// <summary>
/// How long Monte Carlo evaluations will take, measured before they start: a chip is programmed
/// and up to <see cref="ProbeImages"/> test images are run on it; a run of n chips on m images is
/// then n x (programming + m x seconds per image). A run estimated past <see cref="ConfirmAbove"/>
/// needs --yes: `--chips 100000` on one image ran for hours without a word.
/// </summary>
public static class WorkPlan
{
    public const int ProbeImages = 256;
    /// <summary>
    /// Training images that set a probe network's ranges (its accuracy does not matter, its work does).
    /// </summary>
    const int ProbeCalibrationImages = 64;
    public static readonly TimeSpan ConfirmAbove = TimeSpan.FromHours(1);

    /// <summary>The measured cost of one chip: programming it (s) and one test image on it (s).</summary>
    public sealed record ChipCost(double ProgramSeconds, double PerImageSeconds)
    {
        public TimeSpan For(long chips, long images) =>
            TimeSpan.FromSeconds(chips * (ProgramSeconds + PerImageSeconds * images));
    }

    /// <summary>Times chip <paramref name="firstChip"/> of a converted, calibrated model.</summary>
    public static ChipCost Probe(nn.Module<Tensor, Tensor> model, ImageSet test, Normalization norm, long firstChip)
    {
        var sw = Stopwatch.StartNew();
        AnalogConversion.Program(model, firstChip);
        double program = sw.Elapsed.TotalSeconds;
        using var probe = test.Take(ProbeImages);
        // The first pass pays for first-use work (allocations of this batch's size, tier-0 code):
        // about 3x a later pass on LeNet-5, once per run. The second pass is the one timed.
        Evaluator.Evaluate(model, probe, norm);
        sw.Restart();
        Evaluator.Evaluate(model, probe, norm);
        return new ChipCost(program, sw.Elapsed.TotalSeconds / Math.Max(1, probe.Count));
    }

    /// <summary>
    /// Times a chip of <paramref name="hw"/> before any network is trained: a freshly initialised
    /// network of the same shape does the same work as the trained one (weights change values, not
    /// operations). Null for an imported network, whose graph comes with its checkpoint.
    /// </summary>
    public static ChipCost? ProbeUntrained(string model, ImageSet train, ImageSet test, HardwareConfig hw)
    {
        var name = ModelSpec.Canonical(model);
        if (name == ModelSpec.OnnxName) return null;
        using var scope = NewDisposeScope();
        using var net = new ModelSpec(name, train.Channels, train.Height, train.Width, train.Classes).Build();
        var norm = train.ComputeNormalization();
        AnalogConversion.Convert(net, hw);
        if (AnalogConversion.NeedsCalibration(net))
        {
            using var calib = train.Take(Math.Min(ProbeCalibrationImages, train.Count));
            AnalogConversion.CalibrateInputs(net, norm.Apply(calib.Images));
        }
        return Probe(net, test, norm, 0);
    }

    /// <summary>Refuses a run estimated past an hour unless the user confirmed it with --yes.</summary>
    public static void Confirm(TimeSpan estimate, bool yes, string what, string smaller)
    {
        if (estimate > ConfirmAbove && !yes)
            throw new ImcInputException(
                $"{what}: about {Show(estimate)} estimated: add --yes to start a run over an hour, or {smaller}");
    }

    public static string Show(TimeSpan t) =>
        t.TotalHours >= 1 ? $"{t.TotalHours:F1} h"
        : t.TotalMinutes >= 1 ? $"{t.TotalMinutes:F0} min"
        : $"{Math.Max(1, t.TotalSeconds):F0} s";
}
