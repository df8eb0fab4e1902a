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
/// Which named global corner a fresh chip of each training step is in (fresh-chip training of a design whose ADCs
/// name corners).
/// </summary>
public enum CornerSampling
{
    /// <summary>The chip's own draw, as an evaluation's chips.</summary>
    Drawn,
    /// <summary>Step s on corner s mod G: every corner as often.</summary>
    RoundRobin,
    /// <summary>
    /// Weighted towards the worst corner so far: every other step on the corner that scored worst at the last
    /// epoch's test (in the first epoch, the corner the network scored worst on before training), the other steps
    /// round-robin.
    /// </summary>
    Worst,
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
    /// <summary>
    /// Fresh-chip training: the named global corner of each step's chip (<see cref="CornerSampling"/>). Left out of
    /// the JSON while drawn, so runs without it keep their keys.
    /// </summary>
    [System.Text.Json.Serialization.JsonIgnore(Condition =
        System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingDefault)]
    public CornerSampling Corners { get; init; } = CornerSampling.Drawn;
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
        if (Corners != CornerSampling.Drawn && Variation != ChipSampling.FreshChip)
            throw new ImcInputException("corner sampling", Json.Name(Corners),
                "applies to fresh-chip training only (each step's fresh chip is put in a corner)");
        if (Corners != CornerSampling.Drawn && AdcFactory.CornerNames(Hardware.Adc) is null)
            throw new ImcInputException($"{Hardware.Source}: corner sampling {Json.Name(Corners)}: the design's ADCs " +
                "name no global corners (adc.corners or a population file's)");
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
    /// <paramref name="worstCorner"/>: the corner that scored worst at the last epoch's test (null: none yet), for
    /// <see cref="CornerSampling.Worst"/>.
    /// </summary>
    public static void ProgramStep(nn.Module model, AwareOptions a, long seed, int epoch, int step,
        int? worstCorner = null)
    {
        long fresh = Seeds.TrainingChip(seed, epoch, step);
        switch (a.Variation)
        {
            case ChipSampling.Nominal: AnalogConversion.Program(model, 0, 0); break;
            case ChipSampling.FixedChip or ChipSampling.ChipSpecific: AnalogConversion.Program(model, a.Chip,
                a.Corner); break;
            case ChipSampling.FreshLocal: AnalogConversion.Program(model, fresh, 0); break;
            default: AnalogConversion.Program(model, fresh, StepCorner(a, step, worstCorner)); break;
        }
    }

    /// <summary>
    /// The named corner of a fresh-chip step's chip under <see cref="AwareOptions.Corners"/> (null: the chip's own
    /// draw). Round-robin: step s on corner s mod G; worst: even steps on <paramref name="worstCorner"/> (when known),
    /// odd steps round-robin over the corners (s / 2 mod G).
    /// </summary>
    public static int? StepCorner(AwareOptions a, int step, int? worstCorner)
    {
        if (a.Corners == CornerSampling.Drawn) return null;
        int g = AdcFactory.CornerNames(a.Hardware.Adc)!.Length;
        return a.Corners switch
        {
            CornerSampling.RoundRobin => step % g,
            _ when worstCorner is { } w => step % 2 == 0 ? w : step / 2 % g,
            _ => step % g,
        };
    }

    /// <summary>The index of the corner that scored worst in <paramref name="record"/> (null: none scored).</summary>
    public static int? WorstCorner(AwareOptions a, EpochRecord? record) =>
        record?.WorstCorner is { } name && AdcFactory.CornerNames(a.Hardware.Adc) is { } names
        && Array.IndexOf(names, name) is var i && i >= 0 ? i : null;

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
