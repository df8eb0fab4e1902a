namespace ImcSharp.Config;

public enum AdcKind { Ideal, Flash, Sar, Ramp, Cco, Vco, Integrator, SenseAmp, Population }
public enum AdcRangeMode { Auto, Exact, Absolute, Calibrated, Native }
public enum RangeMethod { Percentile, Mse }

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
    public AdcRangeMode Mode { get; init; } = AdcRangeMode.Auto;
    public double Fraction { get; init; } = 1.0;
    public double Percentile { get; init; } = 99.9;
    public double? Min { get; init; }
    public double? Max { get; init; }
    public RangeMethod Method { get; init; } = RangeMethod.Percentile;
    public bool Asymmetric { get; init; }
    public bool PerSlice { get; init; } = true;
}

/// <summary>
/// How a signed sum reaches a unipolar ADC under analog subtraction. None: it does not (a bipolar
/// ADC, or digital subtraction). MidScale: an offset current (charge) of half the range is added
/// before the ADC and removed digitally, so zero signal sits at code 2^(N-1): the ADC's mid-scale
/// error then lands on every conversion.
/// </summary>
public enum AdcBias { None, MidScale }

/// <summary>
/// A named global corner (process, supply, temperature): every ADC of a chip in this corner has
/// T' = T (1 + Gain) + Offset (relative gain, offset in LSBs) before its local variation.
/// </summary>
public sealed record AdcCorner
{
    public string Name { get; init; } = "";
    public double Gain { get; init; }
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
    public double GainSigmaGlobal { get; init; }
    public double OffsetSigmaGlobal { get; init; }
    public double GainSigmaLocal { get; init; }
    public double OffsetSigmaLocal { get; init; }
    public double NoiseSigma { get; init; }
}

/// <summary>Flash: 2^N - 1 comparators on a resistor ladder; each comparator's offset (LSB) is independent.</summary>
public sealed record FlashParams { public double ComparatorSigma { get; init; } = 0.2; }

/// <summary>
/// SAR: binary-weighted capacitor DAC; a 2^i-unit capacitor has relative sigma
/// UnitCapSigma / sqrt(2^i); one comparator offset (LSB) shifts all thresholds.
/// </summary>
public sealed record SarParams
{
    public double UnitCapSigma { get; init; } = 0.01;
    public double ComparatorOffsetSigma { get; init; } = 0.2;
}

/// <summary>
/// Single-slope: a ramp shared by all columns of a chip, V(t) = (1 - e^(-t/tau)) / (1 - e^(-1/tau))
/// for t in 0..1 of the count period (RcTau relative to the period; 0 = linear ramp), whose tau
/// varies per chip by TauSigmaGlobal (relative); a per-column comparator offset (LSB).
/// </summary>
public sealed record RampParams
{
    public double RcTau { get; init; } = 2.0;
    public double TauSigmaGlobal { get; init; } = 0.05;
    public double ComparatorOffsetSigma { get; init; } = 0.2;
}

/// <summary>
/// Oscillator (time-domain) ADC in physical terms: input x (A for a CCO, V for a VCO) over
/// FullScale; frequency f(x) = FMax tanh((F0 + K x) / FMax) (CCO) or f(x) = F0 + K x (1 - Curvature x / FullScale) (VCO),
/// saturating at FMax; counted over Window seconds: counts = f(x) Window - F0 Window (nominal F0
/// subtracted digitally), code = round(counts). A matched design has K Window FullScale = 2^N - 1.
/// Per-instance spread: F0SigmaLocal and KSigmaLocal (relative); global: KSigmaGlobal, F0SigmaGlobal.
/// </summary>
public sealed record OscillatorParams
{
    public double FullScale { get; init; } = 10e-6;
    public double F0 { get; init; } = 20e6;
    public double K { get; init; } = 1.27e13;
    public double FMax { get; init; } = 1e9;
    public double Window { get; init; } = 1e-6;
    public double Curvature { get; init; } = 0.1;
    public double F0SigmaLocal { get; init; } = 0.02;
    public double KSigmaLocal { get; init; } = 0.02;
    public double F0SigmaGlobal { get; init; } = 0.03;
    public double KSigmaGlobal { get; init; } = 0.05;
}

/// <summary>
/// Current integrator + comparator: counts(u) = u - D (1 - e^(-u/D)) (u in LSB): the comparator
/// delay eats small currents, so the curve is compressive near zero (slope 0 at u = 0) and
/// linear with an offset of -D LSB above a few D. DeadZoneSigmaLocal is the relative spread of D.
/// </summary>
public sealed record IntegratorParams
{
    public double DeadZone { get; init; } = 2.0;
    public double DeadZoneSigmaLocal { get; init; } = 0.1;
}

/// <summary>An N-bit ADC and its range; <see cref="Kind"/> selects the circuit model.</summary>
public sealed record AdcConfig
{
    public AdcKind Kind { get; init; } = AdcKind.Ideal;
    public int Bits { get; init; } = 8;
    public AdcRange Range { get; init; } = new();
    public AdcVariation Variation { get; init; } = new();
    public FlashParams Flash { get; init; } = new();
    public SarParams Sar { get; init; } = new();
    public RampParams Ramp { get; init; } = new();
    public OscillatorParams Oscillator { get; init; } = new();
    public IntegratorParams Integrator { get; init; } = new();
    /// <summary>Population file (from `imc adc import`) for kind = population; relative to the config file.</summary>
    public string? Population { get; init; }
    /// <summary>
    /// A Monte Carlo pool to combine with <see cref="Population"/>'s corners: a chip takes one
    /// corner's mean curve and each of its ADCs adds one pool instance's deviation from the pool's
    /// mean curve (local mismatch measured once, corners measured once). Relative to the config file.
    /// </summary>
    [System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingDefault)]
    public string? LocalPopulation { get; init; }
    /// <summary>Digital correction: none, two-point (offset/gain trim per column) or lut (code mapping per column).</summary>
    public CalibrationKind Calibration { get; init; } = CalibrationKind.None;
    public AdcBias Bias { get; init; } = AdcBias.None;
    /// <summary>
    /// A per-chip output offset trim: once per chip, every layer is run with all inputs at zero and
    /// each output column's result is stored in a digital register and subtracted from then on
    /// (a self-test, no per-ADC calibration circuit). It removes what the ADCs read at zero signal:
    /// a mid-scale error on a biased signed sum, a free-running count, column offsets.
    /// </summary>
    // Omitted from JSON when off, like LocalPopulation when unset: a design's content fingerprint (experiment caches) stays what it was before the option existed.
    [System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingDefault)]
    public bool OffsetTrim { get; init; }
    /// <summary>Named global corners; when given, chip k sits in corner k mod count instead of a random global draw.</summary>
    public List<AdcCorner> Corners { get; init; } = new();

    /// <summary>
    /// Oscillator, integrator and single-slope converters count from zero input: code 0 is zero
    /// current (charge). An imported population is taken as such too (it was measured from zero).
    /// </summary>
    public bool IsUnipolar => Kind is AdcKind.Cco or AdcKind.Vco or AdcKind.Integrator or AdcKind.Ramp or AdcKind.Population;

    /// <summary>
    /// The same design at another resolution. Models in LSB terms scale by themselves; an
    /// oscillator ADC stays matched (K W FullScale = 2^N - 1) by scaling its counting window.
    /// </summary>
    public AdcConfig WithBits(int bits) => this with
    {
        Bits = bits,
        Oscillator = Oscillator with { Window = Oscillator.Window * ((1L << bits) - 1) / ((1L << Bits) - 1) },
    };

    /// <summary>The same ADC with every global (per-chip) sigma set to zero.</summary>
    public AdcConfig WithoutGlobalVariation() => this with
    {
        Corners = Corners.Count == 0 ? Corners : new List<AdcCorner> { new() { Name = "nominal" } },
        Variation = Variation with { GainSigmaGlobal = 0, OffsetSigmaGlobal = 0 },
        Ramp = Ramp with { TauSigmaGlobal = 0 },
        Oscillator = Oscillator with { F0SigmaGlobal = 0, KSigmaGlobal = 0 },
    };

    /// <summary>The nominal ADC: no global, local or temporal variation (the design's mean curve).</summary>
    public AdcConfig Nominal() => WithoutGlobalVariation() with
    {
        Variation = new AdcVariation(),
        Flash = Flash with { ComparatorSigma = 0 },
        Sar = Sar with { UnitCapSigma = 0, ComparatorOffsetSigma = 0 },
        Ramp = Ramp with { TauSigmaGlobal = 0, ComparatorOffsetSigma = 0 },
        Oscillator = Oscillator with { F0SigmaGlobal = 0, KSigmaGlobal = 0, F0SigmaLocal = 0, KSigmaLocal = 0 },
        Integrator = Integrator with { DeadZoneSigmaLocal = 0 },
    };

    public void Validate(ConfigErrors e, string at)
    {
        e.Range(at + "bits", Bits, 1, 16);
        if (Kind == AdcKind.SenseAmp && Bits != 1) e.Add(at + "bits", Bits, "a sense amplifier is a 1-bit ADC: set bits to 1");
        if (Range.Mode is AdcRangeMode.Auto or AdcRangeMode.Calibrated && !(Range.Fraction > 0 && Range.Fraction <= 100))
            e.Add(at + "range.fraction", Range.Fraction, "expected 0 < fraction <= 100");
        if (Range.Mode == AdcRangeMode.Calibrated && !(Range.Percentile > 0 && Range.Percentile <= 100))
            e.Add(at + "range.percentile", Range.Percentile, "expected 0 < percentile <= 100");
        if (Range.Mode == AdcRangeMode.Absolute)
        {
            if (Range.Min is null || Range.Max is null) e.Add(at + "range", "absolute", "needs both min and max (physical units)");
            else if (!(Range.Max > Range.Min)) e.Add(at + "range.max", Range.Max, $"must exceed range.min ({Range.Min})");
        }
        e.Sigma(at + "variation.gain_sigma_global", Variation.GainSigmaGlobal);
        e.Sigma(at + "variation.offset_sigma_global", Variation.OffsetSigmaGlobal);
        e.Sigma(at + "variation.gain_sigma_local", Variation.GainSigmaLocal);
        e.Sigma(at + "variation.offset_sigma_local", Variation.OffsetSigmaLocal);
        e.Sigma(at + "variation.noise_sigma", Variation.NoiseSigma);
        e.Sigma(at + "flash.comparator_sigma", Flash.ComparatorSigma);
        e.Sigma(at + "sar.unit_cap_sigma", Sar.UnitCapSigma);
        e.Sigma(at + "sar.comparator_offset_sigma", Sar.ComparatorOffsetSigma);
        e.Positive(at + "ramp.rc_tau", Ramp.RcTau, allowZero: true);
        e.Sigma(at + "ramp.tau_sigma_global", Ramp.TauSigmaGlobal);
        e.Sigma(at + "ramp.comparator_offset_sigma", Ramp.ComparatorOffsetSigma);
        var o = Oscillator;
        e.Positive(at + "oscillator.full_scale", o.FullScale);
        e.Positive(at + "oscillator.f0", o.F0, allowZero: true);
        e.Positive(at + "oscillator.k", o.K);
        e.Positive(at + "oscillator.window", o.Window);
        if (!(o.FMax > o.F0)) e.Add(at + "oscillator.f_max", o.FMax, $"must exceed oscillator.f0 ({o.F0})");
        foreach (var (n, v) in new[] { ("f0_sigma_local", o.F0SigmaLocal), ("k_sigma_local", o.KSigmaLocal), ("f0_sigma_global", o.F0SigmaGlobal), ("k_sigma_global", o.KSigmaGlobal) })
            e.Sigma(at + "oscillator." + n, v);
        e.Positive(at + "integrator.dead_zone", Integrator.DeadZone, allowZero: true);
        e.Sigma(at + "integrator.dead_zone_sigma_local", Integrator.DeadZoneSigmaLocal);
        for (int i = 0; i < Corners.Count; i++)
        {
            if (string.IsNullOrWhiteSpace(Corners[i].Name)) e.Add($"{at}corners[{i}].name", Corners[i].Name, "every corner needs a name");
            if (!(Corners[i].Gain > -1)) e.Add($"{at}corners[{i}].gain", Corners[i].Gain, "expected a relative gain error above -1");
        }
        if (Range.Mode == AdcRangeMode.Native && Kind is not (AdcKind.Cco or AdcKind.Vco or AdcKind.Population))
            e.Add(at + "range.mode", "native", "needs a converter with a physical input range: cco, vco (oscillator.full_scale) or a population file");
        if (Range.Mode == AdcRangeMode.Calibrated && Range.Asymmetric && Range.Method != RangeMethod.Mse)
            e.Add(at + "range.asymmetric", true, "an asymmetric range is chosen by method mse");
        if (LocalPopulation is not null && Kind != AdcKind.Population)
            e.Add(at + "local_population", LocalPopulation, "combines with a corners file: needs kind population");
        if (Kind == AdcKind.Population && string.IsNullOrEmpty(Population))
            e.Add(at + "population", null, "kind population needs the path of a population file (from `imc adc import`)");
    }
}

public enum CalibrationKind { None, TwoPoint, Lut }

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
