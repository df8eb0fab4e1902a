namespace ImcSharp.Config;

/// <summary>How the ADC input range is set (see <see cref="AdcRange"/>).</summary>
public enum AdcRangeMode
{
    /// <summary>± fraction of the largest partial sum a column can produce.</summary>
    Auto,
    /// <summary>One LSB per input-digit x weight-digit unit: lossless while the sums fit the codes.</summary>
    Exact,
    /// <summary>[min, max] in the physical unit the ADC sees (A or V).</summary>
    Absolute,
    /// <summary>Per layer and slice from the partial sums of calibration images.</summary>
    Calibrated,
    /// <summary>The converter's own physical input range.</summary>
    Native,
}

/// <summary>How a calibrated range is chosen from the calibration sums.</summary>
public enum RangeMethod
{
    /// <summary>The percentile-th percentile of |sum| is the top of a symmetric range.</summary>
    Percentile,
    /// <summary>The range of least mean squared quantization error at this resolution.</summary>
    Mse,
}

/// <summary>
/// The ADC's input range: which signal (in signal units, then A or V through the array's unit)
/// maps to code 0 and to the top code. Ranges are set per weight slice (<see cref="PerSlice"/>):
/// slice s's columns carry sums weighted 2^(b s) digitally, so each slice gets its own reference.
/// With analog subtraction the ADC sees a signed sum; with digital subtraction an unsigned one,
/// code 0 at zero current or charge (a unipolar range [0, top]).
/// Auto: ±Fraction x the largest partial sum a column can produce (digital: [0, Fraction x that]).
/// Exact: one LSB = one unit of (input digit x weight digit), codes centred on zero (digital:
/// code k = k units): lossless whenever the sums fit the codes. Absolute: [Min, Max] in the
/// physical unit the ADC sees (A in current mode, V in charge mode), every slice alike.
/// Native: the converter's own physical input range, unscaled: [0, oscillator.full_scale] (A for a
/// CCO, V for a VCO) or a population file's measured [input_min, input_max]; the column's current or
/// voltage reaches it as it is (digital subtraction only: a native range starts at zero input).
/// Calibrated: set per layer and slice from the partial sums of calibration images (the
/// reference a designer trims once per design, not per chip): Percentile method: the
/// <see cref="Percentile"/>-th percentile of |sum| is the top of a symmetric range (of the sum
/// for a unipolar one); Mse method: the range that minimises the mean squared quantization error
/// of the calibration sums at this resolution (bit-aware), asymmetric [low, high] with
/// <see cref="Asymmetric"/> on a signed sum (low is snapped to a multiple of the LSB so zero stays a level).
/// </summary>
public sealed record AdcRange
{
    /// <summary>How the range is set (<see cref="AdcRangeMode"/>).</summary>
    public AdcRangeMode Mode { get; init; } = AdcRangeMode.Auto;
    /// <summary>Auto: the fraction of the largest column sum the range spans (0 &lt; f &lt;= 100).</summary>
    public double Fraction { get; init; } = 1.0;
    /// <summary>Calibrated, method percentile: the percentile (0-100) of |sum| at the top of the range.</summary>
    public double Percentile { get; init; } = 99.9;
    /// <summary>Absolute: the input at code 0 (A in current mode, V in charge mode).</summary>
    public double? Min { get; init; }
    /// <summary>Absolute: the input at the top code (A or V).</summary>
    public double? Max { get; init; }
    /// <summary>Calibrated: how the range is chosen (<see cref="RangeMethod"/>).</summary>
    public RangeMethod Method { get; init; } = RangeMethod.Percentile;
    /// <summary>Calibrated, method mse, a signed sum: the range may be asymmetric [low, high].</summary>
    public bool Asymmetric { get; init; }
    /// <summary>Calibrated: one range per weight slice (false: one pooled range for every slice).</summary>
    public bool PerSlice { get; init; } = true;
}

/// <summary>
/// How a signed sum reaches a unipolar ADC under analog subtraction. None: it does not (a bipolar
/// ADC, or digital subtraction). MidScale: an offset current (charge) of half the range is added
/// before the ADC and removed digitally, so zero signal sits at code 2^(N-1): the ADC's mid-scale
/// error then lands on every conversion.
/// </summary>
public enum AdcBias
{
    /// <summary>No offset: a bipolar ADC, or digital subtraction.</summary>
    None,
    /// <summary>An offset of half the range before the ADC, removed digitally: zero sits at code 2^(N-1).</summary>
    MidScale,
}

/// <summary>
/// A named global corner (process, supply, temperature): every ADC of a chip in this corner has
/// T' = T (1 + Gain) + Offset (relative gain, offset in LSBs) before its local variation.
/// </summary>
public sealed record AdcCorner
{
    /// <summary>The corner's name (unique in a design; results are reported per corner).</summary>
    public string Name { get; init; } = "";
    /// <summary>Relative gain error of every ADC in the corner (0.02 = +2%).</summary>
    public double Gain { get; init; }
    /// <summary>Offset of every ADC in the corner (nominal LSB).</summary>
    public double Offset { get; init; }
}

/// <summary>
/// Variation shared by every architecture, in two levels: global (one draw per chip: process
/// corner, supply, temperature) and local (one draw per ADC instance: mismatch). Gains are
/// relative (0.02 = 2%), offsets in nominal LSBs. <see cref="NoiseSigma"/> is temporal noise
/// referred to the input, per conversion, in LSBs.
/// </summary>
public sealed record AdcVariation
{
    /// <summary>Per-chip relative gain sigma (fraction).</summary>
    public double GainSigmaGlobal { get; init; }
    /// <summary>Per-chip offset sigma (LSB).</summary>
    public double OffsetSigmaGlobal { get; init; }
    /// <summary>Per-instance relative gain sigma (fraction).</summary>
    public double GainSigmaLocal { get; init; }
    /// <summary>Per-instance offset sigma (LSB).</summary>
    public double OffsetSigmaLocal { get; init; }
    /// <summary>Temporal noise referred to the input, per conversion, sigma (LSB).</summary>
    public double NoiseSigma { get; init; }
}

/// <summary>
/// An N-bit ADC and its range. <see cref="Kind"/> names the architecture (a registered
/// <see cref="IAdcKind"/>: ideal, flash, sar, ramp, cco, vco, integrator, sense-amp, population, ...);
/// its parameters are a record in the JSON block the architecture names ("sar": {...},
/// "oscillator": {...}), read into <see cref="Parameters"/>. The fields here are shared by all.
/// </summary>
[System.Text.Json.Serialization.JsonConverter(typeof(AdcConfigJson))]
public sealed record AdcConfig
{
    /// <summary>The architecture (<c>adc.kind</c>, a registered <see cref="IAdcKind"/>).</summary>
    public string Kind { get; init; } = "ideal";
    /// <summary>Resolution N (bits): 2^N codes.</summary>
    public int Bits { get; init; } = 8;
    /// <summary>The input range (<see cref="AdcRange"/>).</summary>
    public AdcRange Range { get; init; } = new();
    /// <summary>Variation every architecture shares: global and local gain and offset, temporal noise.</summary>
    public AdcVariation Variation { get; init; } = new();
    /// <summary>
    /// Parameter records by block name; an architecture's block that is absent has its record's defaults.
    /// </summary>
    public IReadOnlyDictionary<string, object> Parameters { get; init; } =
        new Dictionary<string, object>(StringComparer.Ordinal);
    /// <summary>
    /// Digital correction: none, two-point (offset/gain trim per column) or lut (code mapping per column).
    /// </summary>
    public CalibrationKind Calibration { get; init; } = CalibrationKind.None;
    /// <summary>How a signed sum reaches a unipolar ADC under analog subtraction (<see cref="AdcBias"/>).</summary>
    public AdcBias Bias { get; init; } = AdcBias.None;
    /// <summary>
    /// A per-chip output offset trim: once per chip, every layer is run with all inputs at zero and
    /// each output column's result is stored in a digital register and subtracted from then on
    /// (a self-test, no per-ADC calibration circuit). It removes what the ADCs read at zero signal:
    /// a mid-scale error on a biased signed sum, a free-running count, column offsets.
    /// </summary>
    public bool OffsetTrim { get; init; }
    /// <summary>
    /// With <see cref="OffsetTrim"/> on cells that age (<see cref="Memory.CellAging"/>): the trim is measured
    /// again at the read time rather than kept from programming (t0).
    /// </summary>
    public bool OffsetRetrim { get; init; }
    /// <summary>
    /// Named global corners; when given, chip k sits in corner k mod count instead of a random global draw.
    /// </summary>
    public List<AdcCorner> Corners { get; init; } = new();

    /// <summary>The architecture <see cref="Kind"/> names.</summary>
    public IAdcKind Architecture => AdcKinds.Get(Kind);

    /// <summary>
    /// This config's parameter record of type <typeparamref name="T"/> (its defaults when the block is absent).
    /// </summary>
    public T Params<T>() where T : class, new() =>
        Parameters.TryGetValue(AdcKinds.BlockOf(typeof(T)), out var p) ? (T)p : new T();

    /// <summary>The same config with <paramref name="parameters"/> as its record of that type.</summary>
    public AdcConfig With<T>(T parameters) where T : class
    {
        var d = new Dictionary<string,
            object>(Parameters, StringComparer.Ordinal) { [AdcKinds.BlockOf(typeof(T))] = parameters };
        return this with { Parameters = d };
    }

    /// <summary>
    /// Oscillator, integrator and single-slope converters count from zero input: code 0 is zero current (charge); so is
    /// an imported population (measured from zero).
    /// </summary>
    public bool IsUnipolar => Architecture.IsUnipolar;

    /// <summary>
    /// The same design at another resolution: models in LSB terms scale by themselves; an architecture with physical
    /// scales keeps itself matched (an oscillator's window).
    /// </summary>
    public AdcConfig WithBits(int bits) => Architecture.AtBits(this with { Bits = bits }, Bits);

    /// <summary>The same ADC with every global (per-chip) sigma set to zero.</summary>
    public AdcConfig WithoutGlobalVariation() => Architecture.WithoutGlobalVariation(this with
    {
        Corners = Corners.Count == 0 ? Corners : new List<AdcCorner> { new() { Name = "nominal" } },
        Variation = Variation with { GainSigmaGlobal = 0, OffsetSigmaGlobal = 0 },
    });

    /// <summary>The nominal ADC: no global, local or temporal variation (the design's mean curve).</summary>
    public AdcConfig Nominal() =>
        Architecture.Nominal(WithoutGlobalVariation() with { Variation = new AdcVariation() });

    /// <summary>
    /// Two configs are the same design when they read the same: the parameter records compare by content.
    /// </summary>
    public bool Equals(AdcConfig? other) => other is not null && IO.Json.Serialize(this) == IO.Json.Serialize(other);
    /// <summary>The hash of what the config reads (see <see cref="Equals(AdcConfig?)"/>).</summary>
    public override int GetHashCode() => IO.Json.Serialize(this).GetHashCode(StringComparison.Ordinal);

    /// <summary>
    /// A range field set away from its default that the chosen mode never reads is an error: the
    /// designer meant something by it (a fraction on a calibrated range, min/max on an auto one).
    /// A field left at its default changes nothing, so written configs (every field) read back.
    /// </summary>
    void ValidateUnusedRangeFields(ConfigErrors e, string at)
    {
        var r = Range;
        var defaults = new AdcRange();
        var mode = IO.Json.Name(r.Mode.ToString());
        bool calibrated = r.Mode == AdcRangeMode.Calibrated;
        void Unused(string field, object value, string readBy) =>
            e.Add(at + "range." + field, value,
                $"is read only by {readBy}, " +
                $"not {mode}{(calibrated ? $" with method {IO.Json.Name(r.Method.ToString())}" : "")}: remove it or " +
                "change the range");
        if (r.Mode != AdcRangeMode.Absolute)
        {
            if (r.Min is { } min) Unused("min", min, "range mode absolute");
            if (r.Max is { } max) Unused("max", max, "range mode absolute");
        }
        if (r.Mode != AdcRangeMode.Auto && r.Fraction != defaults.Fraction) Unused("fraction", r.Fraction,
            "range mode auto");
        if (!(calibrated && r.Method == RangeMethod.Percentile) && r.Percentile != defaults.Percentile)
            Unused("percentile", r.Percentile, "range mode calibrated with method percentile");
        if (!calibrated && r.Method != defaults.Method) Unused("method", IO.Json.Name(r.Method.ToString()),
            "range mode calibrated");
        if (!calibrated && r.Asymmetric) Unused("asymmetric", true, "range mode calibrated with method mse");
        if (!calibrated && r.PerSlice != defaults.PerSlice) Unused("per_slice", false,
            "range mode calibrated (the other modes give every slice the same range)");
    }

    /// <summary>
    /// Checks every field, then hands the config to its architecture; errors are named with the prefix
    /// <paramref name="at"/>.
    /// </summary>
    public void Validate(ConfigErrors e, string at)
    {
        if (OffsetRetrim && !OffsetTrim) e.Add(at + "offset_retrim", true,
            $"re-measures the output offset trim at the read time: set {at}offset_trim too, or remove it");
        if (!AdcKinds.TryGet(Kind, out var arch))
        {
            e.Add(at + "kind", Kind, $"expected one of: {string.Join(", ", AdcKinds.Names)}");
            return;
        }
        e.Range(at + "bits", Bits, 1, 16);
        if (Range.Mode == AdcRangeMode.Auto && !(Range.Fraction > 0 && Range.Fraction <= 100))
            e.Add(at + "range.fraction", Range.Fraction, "expected 0 < fraction <= 100");
        if (Range.Mode == AdcRangeMode.Calibrated && !(Range.Percentile > 0 && Range.Percentile <= 100))
            e.Add(at + "range.percentile", Range.Percentile, "expected 0 < percentile <= 100");
        if (Range.Mode == AdcRangeMode.Absolute)
        {
            if (Range.Min is null || Range.Max is null) e.Add(at + "range", "absolute",
                "needs both min and max (physical units)");
            else if (!(Range.Max > Range.Min)) e.Add(at + "range.max", Range.Max,
                $"must exceed range.min ({Range.Min})");
        }
        ValidateUnusedRangeFields(e, at);
        e.Sigma(at + "variation.gain_sigma_global", Variation.GainSigmaGlobal);
        e.Sigma(at + "variation.offset_sigma_global", Variation.OffsetSigmaGlobal);
        e.Sigma(at + "variation.gain_sigma_local", Variation.GainSigmaLocal);
        e.Sigma(at + "variation.offset_sigma_local", Variation.OffsetSigmaLocal);
        e.Sigma(at + "variation.noise_sigma", Variation.NoiseSigma);
        for (int i = 0; i < Corners.Count; i++)
        {
            if (string.IsNullOrWhiteSpace(Corners[i].Name)) e.Add($"{at}corners[{i}].name", Corners[i].Name,
                "every corner needs a name");
            if (!(Corners[i].Gain > -1)) e.Add($"{at}corners[{i}].gain", Corners[i].Gain,
                "expected a relative gain error above -1");
            // Results are reported per corner name: two corners of one name would merge in every table.
            int first = Corners.FindIndex(c => c.Name == Corners[i].Name);
            if (first < i && !string.IsNullOrWhiteSpace(Corners[i].Name))
                e.Add($"{at}corners[{i}].name", Corners[i].Name,
                    $"corner names must be unique: corners[{first}] has it too");
        }
        if (Range.Mode == AdcRangeMode.Native && !arch.HasNativeRange)
            e.Add(at + "range.mode", "native",
                $"needs a converter with a physical input " +
                $"range ({string.Join(", ", AdcKinds.Names.Where(n => AdcKinds.Get(n).HasNativeRange))}); {Kind} has " +
                "none");
        if (Range.Mode == AdcRangeMode.Calibrated && Range.Asymmetric && Range.Method != RangeMethod.Mse)
            e.Add(at + "range.asymmetric", true, "an asymmetric range is chosen by method mse");
        arch.Validate(this, e, at);
    }
}

/// <summary>A digital correction of each ADC's codes, measured once per chip.</summary>
public enum CalibrationKind
{
    /// <summary>No correction: the converter as it is.</summary>
    None,
    /// <summary>Offset and gain trimmed per column from two points.</summary>
    TwoPoint,
    /// <summary>A code-mapping table per column.</summary>
    Lut,
}

/// <summary>Which levels of variation a chip draws (training modes and corner studies).</summary>
public enum VariationLevels
{
    /// <summary>Global (per chip) and local (per instance, per cell) variation: a real chip.</summary>
    Both,
    /// <summary>Local mismatch only: every global draw is pinned at the nominal corner.</summary>
    LocalOnly,
    /// <summary>No random variation at all: the nominal curve and nominal cells.</summary>
    Nominal,
}
