using ImcSharp.Config;
using ImcSharp.Converters;
using ImcSharp.IO;
using ImcSharp.Training;

namespace ImcSharp.Experiments;

/// <summary>One network of the experiment: its float training and its peripheral-aware fine-tuning.</summary>
public sealed record ExperimentModel
{
    public string Model { get; init; } = "lenet5";
    public int FloatEpochs { get; init; } = 3;
    public double? FloatLr { get; init; }
    public int AwareEpochs { get; init; } = 2;
    public double AwareLr { get; init; } = 5e-4;
    /// <summary>Chips per table cell for this model (null: the experiment's).</summary>
    public int? Chips { get; init; }
    /// <summary>Test images per chip (0: the whole test split).</summary>
    public int TestImages { get; init; }
    /// <summary>Training images of the peripheral-aware fine-tuning (0: the whole train split).</summary>
    public int AwareTrainImages { get; init; }
    public bool Augment { get; init; }
}

/// <summary>An array mode and the hardware config of its approximate design (relative to the spec file).</summary>
public sealed record ExperimentArray
{
    public string Name { get; init; } = "current";
    public string Hardware { get; init; } = "";
}

/// <summary>What --quick keeps: a subset of models and resolutions, fewer chips.</summary>
public sealed record QuickSubset
{
    public List<string> Models { get; init; } = new() { "lenet5" };
    public List<int> AdcBits { get; init; } = new() { 7 };
    public int Chips { get; init; } = 20;
    public bool VariationStudy { get; init; }
    /// <summary>Array modes (by name) the quick run keeps; null: all.</summary>
    public List<string>? ArrayModes { get; init; }
    /// <summary>Training seeds of the quick run; null: the spec's.</summary>
    public List<long>? Seeds { get; init; }
}

/// <summary>
/// The headline experiment (experiments/approx-adc.json): for each model, array mode and ADC
/// resolution, the accuracy of {float-trained, peripheral-aware} networks on {ideal, calibrated,
/// uncalibrated approximate} ADCs over Monte Carlo chips grouped in global corners. The ideal
/// design is the approximate one with an ideal quantizer of the same resolution and range; the
/// calibrated one adds <see cref="Calibration"/> to the approximate ADC.
/// </summary>
public sealed record ApproxAdcSpec
{
    public string Name { get; init; } = "approx-adc";
    public string Dataset { get; init; } = "fashion-mnist";
    public long Seed { get; init; } = 7;
    /// <summary>
    /// Training seeds: every network (float and aware) is trained once per seed and every goal is read per seed; empty:
    /// just <see cref="Seed"/>.
    /// </summary>
    public List<long> Seeds { get; init; } = new();
    public IReadOnlyList<long> TrainingSeeds => Seeds.Count > 0 ? Seeds : new[] { Seed };
    public List<ExperimentModel> Models { get; init; } = new();
    public List<ExperimentArray> ArrayModes { get; init; } = new();
    public List<int> AdcBits { get; init; } = new() { 7 };
    public CalibrationKind Calibration { get; init; } = CalibrationKind.Lut;
    public int Chips { get; init; } = 100;
    /// <summary>
    /// Chips per cell below the highest resolution (null: <see cref="Chips"/>); the headline figures use the highest.
    /// </summary>
    public int? LowerResolutionChips { get; init; }
    public int Corners { get; init; } = 5;
    public ChipSampling Variation { get; init; } = ChipSampling.FreshChip;
    /// <summary>
    /// Fresh-chip aware training on a design whose ADCs name corners: the corner of each step's chip
    /// (<see cref="Training.CornerSampling"/>; designs without named corners draw theirs).
    /// </summary>
    public CornerSampling CornerSampling { get; init; } = CornerSampling.Drawn;
    public AdcGradient Ste { get; init; } = AdcGradient.Identity;
    public int CalibrationImages { get; init; } = 1000;
    /// <summary>
    /// Also train with local mismatch only (fresh-local) at the first resolution and compare corners.
    /// </summary>
    public bool VariationStudy { get; init; } = true;
    public QuickSubset Quick { get; init; } = new();

    [System.Text.Json.Serialization.JsonIgnore] public string Source { get; init; } = "experiment spec";

    public static ApproxAdcSpec Load(string path)
    {
        var spec = Json.ReadFile<ApproxAdcSpec>(path, Json.Strict, "experiment spec");
        var dir = Path.GetDirectoryName(Path.GetFullPath(path)) ?? "";
        spec = spec with
        {
            Source = path,
            ArrayModes = spec.ArrayModes.Select(a =>
                a with { Hardware = Path.IsPathRooted(a.Hardware) ? a.Hardware : Path.Combine(dir, a.Hardware) })
                .ToList(),
        };
        spec.Validate();
        return spec;
    }

    public void Validate()
    {
        var e = new ConfigErrors();
        if (Models.Count == 0) e.Add("models", "[]", "list at least one model");
        for (int i = 0; i < Models.Count; i++)
        {
            var m = Models[i];
            e.Range($"models[{i}].float_epochs", m.FloatEpochs, 1, 10000);
            e.Range($"models[{i}].aware_epochs", m.AwareEpochs, 1, 10000);
            e.Positive($"models[{i}].aware_lr", m.AwareLr);
            if (m.Chips is int c) e.Range($"models[{i}].chips", c, 1, 1_000_000);
            e.Range($"models[{i}].test_images", m.TestImages, 0, int.MaxValue);
        }
        if (ArrayModes.Count == 0) e.Add("array_modes", "[]",
            "list at least one array mode (name and hardware config)");
        for (int i = 0; i < ArrayModes.Count; i++)
            if (!File.Exists(ArrayModes[i].Hardware)) e.Add($"array_modes[{i}].hardware", ArrayModes[i].Hardware,
                "hardware config not found");
        if (AdcBits.Count == 0) e.Add("adc_bits", "[]", "list at least one resolution");
        for (int i = 0; i < AdcBits.Count; i++) e.Range($"adc_bits[{i}]", AdcBits[i], 1, 16);
        e.Range("chips", Chips, 1, 1_000_000);
        e.Range("corners", Corners, 1, 1_000_000);
        if (LowerResolutionChips is int lc) e.Range("lower_resolution_chips", lc, 1, 1_000_000);
        e.Range("calibration_images", CalibrationImages, 1, int.MaxValue);
        e.Range("quick.chips", Quick.Chips, 1, 1_000_000);
        foreach (var m in Quick.Models)
            if (!Models.Any(x => x.Model == m)) e.Add("quick.models", m, "must name a model listed in models");
        foreach (var a in Quick.ArrayModes ?? new())
            if (!ArrayModes.Any(x => x.Name == a)) e.Add("quick.array_modes", a,
                "must name an array mode listed in array_modes");
        if (Seeds.Distinct().Count() != Seeds.Count) e.Add("seeds", string.Join(",", Seeds), "list each seed once");
        // Duplicates would train and evaluate the same cell twice (hours), or collide in the tables.
        foreach (var (field, values) in new (string, IEnumerable<string>)[]
                 {
                     ("models", Models.Select(m => m.Model)), ("array_modes", ArrayModes.Select(a => a.Name)),
                     ("adc_bits", AdcBits.Select(b => b.ToString(System.Globalization.CultureInfo.InvariantCulture))),
                     ("quick.models", Quick.Models),
                         ("quick.adc_bits",
                         Quick.AdcBits.Select(b => b.ToString(System.Globalization.CultureInfo.InvariantCulture))),
                     ("quick.array_modes", Quick.ArrayModes ?? new()),
                 })
            foreach (var twice in values.GroupBy(v => v).Where(g => g.Count() > 1))
                e.Add(field, twice.Key, "is listed twice: list each once");
        // An empty list is not "all": omit the field to keep every array mode (null), or name some.
        if (Quick.ArrayModes is { Count: 0 }) e.Add("quick.array_modes", "[]",
            "name at least one array mode, or leave the field out for all of them");
        if (Quick.Models.Count == 0) e.Add("quick.models", "[]", "name at least one model");
        if (Quick.AdcBits.Count == 0) e.Add("quick.adc_bits", "[]", "list at least one resolution");
        if (Calibration == CalibrationKind.None) e.Add("calibration", "none",
            "the calibrated row needs a calibration kind: two-point or lut");
        e.ThrowIfAny(Source);
    }

    /// <summary>Chips model <paramref name="m"/> is evaluated on at resolution <paramref name="bits"/>.</summary>
    public int ChipsAt(ExperimentModel m, int bits) =>
        m.Chips ?? (bits < AdcBits.Max() && LowerResolutionChips is int lower ? lower : Chips);

    /// <summary>
    /// Chip evaluations a run makes for model <paramref name="m"/>: per seed, array mode and
    /// resolution, seven sets (float and aware networks on ideal, calibrated and approximate
    /// converters, and the network aware-trained on ideal ones), plus the variation study's set.
    /// </summary>
    public long ChipEvaluations(ExperimentModel m)
    {
        long cells = (long)ArrayModes.Count * TrainingSeeds.Count * AdcBits.Sum(b => 7L * ChipsAt(m, b));
        // The variation study runs on the first seed and the first resolution.
        return cells + (VariationStudy ? (long)ArrayModes.Count * ChipsAt(m, AdcBits[0]) : 0);
    }

    /// <summary>The subset --quick runs.</summary>
    public ApproxAdcSpec QuickSubset() => this with
    {
        Models = Models.Where(m => Quick.Models.Contains(m.Model)).Select(m => m with { Chips = null }).ToList(),
        AdcBits = Quick.AdcBits,
        Chips = Quick.Chips,
        LowerResolutionChips = null,
        Corners = Math.Min(Corners, Quick.Chips),
        VariationStudy = Quick.VariationStudy,
        ArrayModes = Quick.ArrayModes is { } names ? ArrayModes.Where(a => names.Contains(a.Name)).ToList()
            : ArrayModes,
        Seeds = Quick.Seeds ?? Seeds,
    };
}
