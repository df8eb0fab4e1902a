using System.Text.Json;
using ImcSharp.Config;
using ImcSharp.Converters;
using ImcSharp.IO;

namespace ImcSharp.Sweeps;

/// <summary>
/// A design-space sweep (`imc sweep SPEC`): the base hardware, and the axes whose product gives
/// the points: ADC architecture (an ADC config file per name) x resolution x calibration x column
/// sharing x compensation x training. Each point: Monte Carlo accuracy (mean, worst, worst corner) and cost.
/// </summary>
public record SweepSpec
{
    public string Name { get; init; } = "sweep";
    public string Dataset { get; init; } = "fashion-mnist";
    public string Model { get; init; } = "lenet5";
    public long Seed { get; init; } = 7;
    /// <summary>Base hardware config (its ADC is replaced per point), relative to the spec file.</summary>
    public string Hardware { get; init; } = "";
    /// <summary>
    /// ADC architecture name -> ADC config file (configs/adc/*.json format), relative to the spec file.
    /// </summary>
    public Dictionary<string, string> Adcs { get; init; } = new();
    public List<int> AdcBits { get; init; } = new() { 7 };
    public List<CalibrationKind> Calibration { get; init; } = new() { CalibrationKind.None };
    public List<int> AdcShare { get; init; } = new() { 1 };
    /// <summary>
    /// Per-chip deployment compensation: "none", or measures joined by "+": "offset-trim" (the ADCs' digital offset
    /// trim), "output-gain" (gain and offset registers per output), "batch-norm" (BatchNorm re-estimated on the chip),
    /// e.g. "offset-trim+batch-norm" (<see cref="CompensationChoice"/>). Absent: as the base design has it (the point
    /// ids then carry no compensation part).
    /// </summary>
    public List<string>? Compensation { get; init; }
    /// <summary>"float" and/or "aware" (peripheral-aware fine-tuning on the point's own hardware).</summary>
    public List<string> Training { get; init; } = new() { "float" };
    public int Chips { get; init; } = 20;
    public int Corners { get; init; } = 5;
    public int TestImages { get; init; }
    public int FloatEpochs { get; init; } = 3;
    /// <summary>
    /// A trained float network (an `imc train` or `imc import` checkpoint of this model and dataset), relative to the
    /// spec file: used instead of training one (float_epochs and seed then do not apply to it).
    /// </summary>
    public string? FloatCheckpoint { get; init; }
    public int AwareEpochs { get; init; } = 1;
    public double AwareLr { get; init; } = 5e-4;
    /// <summary>Training images for the aware fine-tuning (0: all).</summary>
    public int AwareTrainImages { get; init; }
    public int CalibrationImages { get; init; } = 1000;

    [System.Text.Json.Serialization.JsonIgnore] public string Source { get; init; } = "sweep spec";

    public static SweepSpec Load(string path) => Load<SweepSpec>(path, "sweep spec");

    /// <summary>Reads a spec of this shape (a sweep's or one that extends it), paths relative to its file.</summary>
    protected static T Load<T>(string path, string what) where T : SweepSpec
    {
        var spec = Json.ReadFile<T>(path, Json.Strict, what);
        var dir = Path.GetDirectoryName(Path.GetFullPath(path)) ?? "";
        string Rel(string p) => Path.IsPathRooted(p) ? p : Path.Combine(dir, p);
        spec = spec with
        {
            Source = path,
            Hardware = Rel(spec.Hardware),
            FloatCheckpoint = spec.FloatCheckpoint is null ? null : Rel(spec.FloatCheckpoint),
            Adcs = spec.Adcs.ToDictionary(kv => kv.Key, kv => Rel(kv.Value)),
        };
        spec.Validate();
        return (T)spec;
    }

    public void Validate()
    {
        var e = new ConfigErrors();
        Check(e);
        e.ThrowIfAny(Source);
    }

    /// <summary>Adds every problem of the spec to <paramref name="e"/>.</summary>
    protected virtual void Check(ConfigErrors e)
    {
        if (!File.Exists(Hardware)) e.Add("hardware", Hardware, "hardware config not found");
        if (FloatCheckpoint is not null && !File.Exists(FloatCheckpoint))
            e.Add("float_checkpoint", FloatCheckpoint, "checkpoint not found");
        if (Adcs.Count == 0) e.Add("adcs", "{}", "name at least one ADC architecture and its config file");
        foreach (var (name, file) in Adcs)
        {
            if (!File.Exists(file)) e.Add($"adcs.{name}", file, "ADC config not found");
            if (name.Any(c => !(char.IsLetterOrDigit(c) || c == '-' || c == '_'))) e.Add($"adcs.{name}", name,
                "names may use letters, digits, - and _ only");
        }
        if (AdcBits.Count == 0) e.Add("adc_bits", "[]", "list at least one resolution");
        for (int i = 0; i < AdcBits.Count; i++) e.Range($"adc_bits[{i}]", AdcBits[i], 1, 16);
        if (Calibration.Count == 0) e.Add("calibration", "[]", "list at least one of none, two-point, lut");
        if (AdcShare.Count == 0) e.Add("adc_share", "[]", "list at least one column-sharing factor");
        for (int i = 0; i < AdcShare.Count; i++) e.Range($"adc_share[{i}]", AdcShare[i], 1, 4096);
        if (Training.Count == 0) e.Add("training", "[]", "list float and/or aware");
        foreach (var t in Training) if (t is not ("float" or "aware")) e.Add("training", t, "expected float or aware");
        e.Range("chips", Chips, 1, 1_000_000);
        e.Range("corners", Corners, 1, 1_000_000);
        e.Range("test_images", TestImages, 0, int.MaxValue);
        e.Range("float_epochs", FloatEpochs, 1, 10000);
        e.Range("aware_epochs", AwareEpochs, 1, 10000);
        e.Positive("aware_lr", AwareLr);
        e.Range("calibration_images", CalibrationImages, 1, int.MaxValue);
        // A value listed twice would give two points of one id: checked before any training.
        Once(e, "adc_bits", AdcBits);
        Once(e, "calibration", Calibration);
        Once(e, "adc_share", AdcShare);
        Once(e, "training", Training);
        if (Compensation is { Count: 0 }) e.Add("compensation", "[]",
            "list none and/or measures such as offset-trim (or leave it out)");
        foreach (var c in Compensation ?? new())
            if (CompensationChoice.Parse(c) is null) e.Add("compensation", c, CompensationChoice.Expected);
        if (Compensation is not null) Once(e, "compensation", Compensation);
    }

    protected static void Once<T>(ConfigErrors e, string axis, IEnumerable<T> values)
    {
        foreach (var twice in values.GroupBy(v => v).Where(g => g.Count() > 1))
            e.Add(axis, twice.Key, "is listed twice: list each value once");
    }

    /// <summary>All points in a fixed order (the order shards and resumes rely on).</summary>
    public List<SweepPoint> Points() =>
        (from adc in Adcs.Keys.OrderBy(k => k, StringComparer.Ordinal)
         from bits in AdcBits
         from cal in Calibration
         from share in AdcShare
         from compensation in Compensation ?? new() { SweepPoint.AsBase }
         from training in Training
         select new SweepPoint(adc, bits, cal, share, training, compensation)).ToList();
}

/// <summary>
/// A sweep's compensation value: the measures it turns on (each measure once, in any order); every other is off.
/// </summary>
public sealed record CompensationChoice(bool OffsetTrim, bool OutputGain, bool BatchNorm)
{
    public const string Expected =
        "expected none, or offset-trim, output-gain and/or batch-norm joined by + (e.g. offset-trim+batch-norm)";
    static readonly string[] Measures = { "offset-trim", "output-gain", "batch-norm" };

    /// <summary>The measures of <paramref name="value"/>; null when it is not a compensation value.</summary>
    public static CompensationChoice? Parse(string value)
    {
        if (value == "none") return new(false, false, false);
        var parts = value.Split('+');
        if (parts.Any(p => !Measures.Contains(p)) || parts.Distinct().Count() != parts.Length) return null;
        return new(parts.Contains("offset-trim"), parts.Contains("output-gain"), parts.Contains("batch-norm"));
    }

    /// <summary>
    /// The part of a point's id and design name: "-untrimmed" for none and "-trim" for offset-trim (as before the
    /// other measures existed), else "-" and the measures with "+" as "-" ("-trim-batch-norm").
    /// </summary>
    public static string Suffix(string value) => value switch
    {
        SweepPoint.AsBase => "",
        "none" => "-untrimmed",
        _ => "-" + value.Replace("offset-trim", "trim").Replace('+', '-'),
    };
}

/// <summary>
/// One design point of a sweep. <paramref name="Compensation"/>: a <see cref="CompensationChoice"/> value, or
/// <see cref="AsBase"/> (as the base design has it).
/// </summary>
public sealed record SweepPoint(string Adc, int Bits, CalibrationKind Calibration, int AdcShare, string Training,
    string Compensation = SweepPoint.AsBase)
{
    public const string AsBase = "base";

    public string Id => $"{Adc}-{Bits}b-{Calibration.ToString().ToLowerInvariant()}-share{AdcShare}"
        + CompensationChoice.Suffix(Compensation) + $"-{Training}";
}

/// <summary>A finished point: one line of the sweep's JSON Lines file (accuracies in 0..1).</summary>
public sealed record SweepResult(string Id, string Adc, int AdcBits, string Calibration, int AdcShare, string Training,
    int Chips,
    double Mean, double Std, double Worst, double WorstCorner, double EnergyPerInferenceJ, double AreaMm2,
        double AdcEnergyShare, double AdcAreaShare,
    double TopsPerW, double Seconds, SortedDictionary<string, string>? Key = null);

/// <summary>Which share of the points this process runs: point k belongs to shard k mod Count.</summary>
public sealed record Shard(int Index, int Count)
{
    public static readonly Shard All = new(0, 1);

    /// <summary>Parses "i/n" (0 &lt;= i &lt; n).</summary>
    public static Shard Parse(string text)
    {
        var parts = text.Split('/');
        if (parts.Length == 2 && int.TryParse(parts[0], out int i) && int.TryParse(parts[1], out int n) && n >= 1
            && i >= 0 && i < n) return new Shard(i, n);
        throw new ImcInputException("shard", text,
            $"expected i/n with 0 <= i < n (e.g. 0/4 for the first of four shards; Slurm: " +
            "$SLURM_ARRAY_TASK_ID/$SLURM_ARRAY_TASK_COUNT)");
    }

    public bool Owns(int pointIndex) => pointIndex % Count == Index;
    public string FileName => Count == 1 ? "points.jsonl" : $"points.shard-{Index}-of-{Count}.jsonl";
}
