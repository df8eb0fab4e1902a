using System.Text.Json;
using ImcSharp.Config;
using ImcSharp.Converters;
using ImcSharp.IO;
using ImcSharp.Nn;
using TorchSharp;
using static TorchSharp.torch;

namespace ImcSharp.Training;

/// <summary>Which chip the forward pass of each peripheral-aware training step runs on.</summary>
public enum ChipSampling
{
    /// <summary>The nominal ADC curve and nominal cells: no random variation at all.</summary>
    Nominal,
    /// <summary>One chip (<see cref="AwareOptions.Chip"/>), the same at every step; evaluated on other chips.</summary>
    FixedChip,
    /// <summary>A fresh chip every step, local mismatch only (global draws pinned at the nominal corner).</summary>
    FreshLocal,
    /// <summary>
    /// A fresh chip every step with both levels drawn: its own global corner and local mismatch per instance and cell.
    /// </summary>
    FreshChip,
    /// <summary>
    /// Fine-tuning for one given chip (<see cref="AwareOptions.Chip"/>, e.g. a measured population's corner): trained
    /// and deployed on that chip.
    /// </summary>
    ChipSpecific,
}

/// <summary>
/// Peripheral-aware training: the hardware every analog layer runs on, how chips are sampled
/// per step, the ADC's straight-through estimator, and the float checkpoint to start from.
/// </summary>
public sealed record AwareOptions
{
    public HardwareConfig Hardware { get; init; } = new();
    public ChipSampling Variation { get; init; } = ChipSampling.FreshChip;
    public AdcGradient Gradient { get; init; } = AdcGradient.Identity;
    /// <summary>The chip of fixed-chip and chip-specific training.</summary>
    public long Chip { get; init; }
    /// <summary>Global corner of that chip (population files: the corner index); null: the chip's own draw.</summary>
    public int? Corner { get; init; }
    /// <summary>Float checkpoint to fine-tune; null trains from scratch.</summary>
    public string? Init { get; init; }
    public int CalibrationImages { get; init; } = 1000;

    public VariationLevels Levels => Variation switch
    {
        ChipSampling.Nominal => VariationLevels.Nominal,
        ChipSampling.FreshLocal => VariationLevels.LocalOnly,
        _ => VariationLevels.Both,
    };

    public void Validate()
    {
        if (CalibrationImages < 1) throw new ImcInputException("calibration_images", CalibrationImages,
            "expected an integer >= 1");
        if (Chip < 0) throw new ImcInputException("chip", Chip, "expected an integer >= 0");
        if (Corner < 0) throw new ImcInputException("corner", Corner, "expected an integer >= 0");
    }

    /// <summary>
    /// Same training setup (for --resume): compared as JSON, since the config holds collections.
    /// What cannot change the weights is left out: the design's name, description and cost section
    /// (so two designs that differ only there share one trained network, as the experiment's caches do).
    /// </summary>
    public bool SameAs(AwareOptions other) =>
        JsonSerializer.Serialize(Essentials(), Json.Options) == JsonSerializer.Serialize(other.Essentials(),
            Json.Options);

    AwareOptions Essentials() =>
        this with { Hardware = Hardware with { Cost = new CostConfig(), Name = "", Description = "" } };
}

/// <summary>Programs the chips of peripheral-aware training and evaluation.</summary>
public static class ChipSampler
{
    /// <summary>
    /// Chip index of the held-out chip used for the per-epoch test score (never a Monte Carlo chip 0..K).
    /// </summary>
    public const long ValidationChip = 1_000_000_007;

    /// <summary>
    /// Converts a float model for training on <paramref name="a"/>'s hardware with the sampling mode's variation
    /// levels.
    /// </summary>
    public static void Prepare(nn.Module<Tensor, Tensor> model, AwareOptions a)
    {
        AnalogConversion.Convert(model, a.Hardware);
        foreach (var l in AnalogConversion.Layers(model))
        {
            if (l.Execution != Execution.Analog) continue;
            l.Retarget(l.Hardware.With(a.Levels), Execution.Analog);
            l.Gradient = a.Gradient;
        }
    }

    /// <summary>
    /// Programs the chip of training step (<paramref name="epoch"/>, <paramref name="step"/>): the
    /// weights changed since the last step, so every mode reprograms; fresh modes draw a new chip
    /// whose index is a pure function of (seed, epoch, step), so a resumed run sees the same chips.
    /// </summary>
    public static void ProgramStep(nn.Module model, AwareOptions a, long seed, int epoch, int step)
    {
        long fresh = Seeds.TrainingChip(seed, epoch, step);
        switch (a.Variation)
        {
            case ChipSampling.Nominal: AnalogConversion.Program(model, 0, 0); break;
            case ChipSampling.FixedChip or ChipSampling.ChipSpecific: AnalogConversion.Program(model, a.Chip,
                a.Corner); break;
            case ChipSampling.FreshLocal: AnalogConversion.Program(model, fresh, 0); break;
            default: AnalogConversion.Program(model, fresh); break;
        }
    }

    /// <summary>
    /// The chips the per-epoch test score uses, one per global corner to score (name, or null when
    /// the design has no named corners): the training chip when there is one; else a held-out chip,
    /// in every named corner of the design (fresh-chip), or at the nominal corner.
    /// </summary>
    public static IEnumerable<string?> ValidationCorners(nn.Module model, AwareOptions a)
    {
        if (a.Variation is ChipSampling.FixedChip or ChipSampling.ChipSpecific)
        {
            AnalogConversion.Program(model, a.Chip, a.Corner);
            yield return null;
            yield break;
        }
        var names = a.Variation == ChipSampling.FreshChip ? AdcFactory.CornerNames(a.Hardware.Adc) : null;
        if (names is null)
        {
            AnalogConversion.Program(model, ValidationChip, a.Variation == ChipSampling.FreshChip ? null : 0);
            yield return null;
            yield break;
        }
        for (int c = 0; c < names.Length; c++)
        {
            AnalogConversion.Program(model, ValidationChip, c);
            yield return names[c];
        }
    }
}
