using ImcSharp.Config;
using TorchSharp;
using static TorchSharp.torch;

namespace ImcSharp.Converters;

/// <summary>
/// Oscillator (time-domain) ADC in physical terms: input x (A for a CCO, V for a VCO) over
/// FullScale; frequency f(x) = FMax tanh((F0 + K x) / FMax) (CCO) or f(x) = F0 + K x (1 - Curvature x / FullScale)
/// (VCO),
/// saturating at FMax; counted over Window seconds: counts = f(x) Window - F0 Window (nominal F0
/// subtracted digitally), code = round(counts). A matched design has K Window FullScale = 2^N - 1.
/// Per-instance spread: F0SigmaLocal and KSigmaLocal (relative); global: KSigmaGlobal, F0SigmaGlobal.
/// </summary>
public sealed record OscillatorParams
{
    /// <summary>Full-scale input (A for a CCO, V for a VCO).</summary>
    public double FullScale { get; init; } = 10e-6;
    /// <summary>Free-running frequency at zero input, F0 (Hz).</summary>
    public double F0 { get; init; } = 20e6;
    /// <summary>Tuning gain K (Hz/A for a CCO, Hz/V for a VCO).</summary>
    public double K { get; init; } = 1.27e13;
    /// <summary>Saturation frequency FMax (Hz).</summary>
    public double FMax { get; init; } = 1e9;
    /// <summary>Counting window W (s).</summary>
    public double Window { get; init; } = 1e-6;
    /// <summary>A VCO's relative curvature: its gain falls by this fraction at full scale (dimensionless).</summary>
    public double Curvature { get; init; } = 0.1;
    /// <summary>Relative spread of F0 per instance (sigma, fraction of F0).</summary>
    public double F0SigmaLocal { get; init; } = 0.02;
    /// <summary>Relative spread of K per instance (sigma, fraction of K).</summary>
    public double KSigmaLocal { get; init; } = 0.02;
    /// <summary>Relative spread of F0 per chip (sigma, fraction of F0).</summary>
    public double F0SigmaGlobal { get; init; } = 0.03;
    /// <summary>Relative spread of K per chip (sigma, fraction of K).</summary>
    public double KSigmaGlobal { get; init; } = 0.05;
}

/// <summary>
/// Oscillator ADC: counts(x) = f(x) W - F0_nom W with f from <see cref="OscillatorParams"/>;
/// code = round(counts), so T_k solves counts(x) = k - 1/2, in closed form (see the CCO and VCO),
/// in nominal LSBs of FullScale / (2^N - 1). Counts from zero input; its physical range is [0, FullScale].
/// Price: (f_0 W + 2^(N-1)) (E_osc + 2 E_ff) d (oscillator cycles over the window and a counter;
/// f_0 W in units of the matched count); area (5 stages + N flip-flops + a comparator) s.
/// </summary>
public abstract class OscillatorArchitecture : AdcArchitecture<OscillatorParams>
{
    /// <inheritdoc/>
    public override string? SurveyKind => "oscillator";
    /// <inheritdoc/>
    public override string Block => "oscillator";
    /// <inheritdoc/>
    public override bool IsUnipolar => true;
    /// <inheritdoc/>
    public override bool HasNativeRange => true;
    /// <summary>Unit of the input: A (current-controlled) or V (voltage-controlled).</summary>
    protected abstract string Units { get; }

    /// <inheritdoc/>
    public override void Validate(AdcConfig cfg, ConfigErrors e, string at)
    {
        base.Validate(cfg, e, at);
        var o = P(cfg);
        e.Positive(at + "oscillator.full_scale", o.FullScale);
        e.Positive(at + "oscillator.f0", o.F0, allowZero: true);
        e.Positive(at + "oscillator.k", o.K);
        e.Positive(at + "oscillator.window", o.Window);
        e.Finite(at + "oscillator.curvature", o.Curvature);
        if (!(o.FMax > o.F0)) e.Add(at + "oscillator.f_max", o.FMax, $"must exceed oscillator.f0 ({o.F0})");
        foreach (var (n, v) in new[] { ("f0_sigma_local", o.F0SigmaLocal), ("k_sigma_local", o.KSigmaLocal),
            ("f0_sigma_global", o.F0SigmaGlobal), ("k_sigma_global", o.KSigmaGlobal) })
            e.Sigma(at + "oscillator." + n, v);
    }

    /// <summary>Stays matched (K W FullScale = 2^N - 1) by scaling the counting window.</summary>
    public override AdcConfig AtBits(AdcConfig cfg, int previousBits) =>
        cfg.With(P(cfg) with { Window = P(cfg).Window * ((1L << cfg.Bits) - 1) / ((1L << previousBits) - 1) });
    /// <inheritdoc/>
    public override AdcConfig WithoutGlobalVariation(AdcConfig cfg) =>
        cfg.With(P(cfg) with { F0SigmaGlobal = 0, KSigmaGlobal = 0 });
    /// <inheritdoc/>
    public override AdcConfig Nominal(AdcConfig cfg) =>
        cfg.With(P(cfg) with { F0SigmaGlobal = 0, KSigmaGlobal = 0, F0SigmaLocal = 0, KSigmaLocal = 0 });
    /// <inheritdoc/>
    public override PopulationInfo? Physical(AdcConfig cfg) =>
        new(Units, 0, P(cfg).FullScale, "frequency", "nearest", "increasing");

    /// <summary>
    /// Input x (physical units) where the count of instance i crosses transition frequency f_k: [I, M], and which
    /// transitions are reachable.
    /// </summary>
    protected abstract (Tensor X, Tensor Reachable) Solve(OscillatorParams p, Tensor fk, Tensor k, Tensor f0);

    /// <inheritdoc/>
    protected override Tensor Model(AdcConfig cfg, int instances, Generator global, Generator local)
    {
        var p = P(cfg);
        int n = cfg.Bits;
        double kG = 1 + Normal(global) * p.KSigmaGlobal, f0G = 1 + Normal(global) * p.F0SigmaGlobal;
        var k = (Normal(instances, 1, local) * p.KSigmaLocal + 1) * (p.K * kG);
        var f0 = (Normal(instances, 1, local) * p.F0SigmaLocal + 1) * (p.F0 * f0G);
        double lsb = p.FullScale / ((1L << n) - 1);
        // [1, M] frequency of transition k
        var fk = (AdcModels.Ideal(n) / p.Window + p.F0).unsqueeze(0);
        var (x, reachable) = Solve(p, fk, k, f0);
        return where(reachable.logical_and(fk.lt(p.FMax).expand(instances, -1)), x / lsb,
            full_like(x, double.PositiveInfinity));
    }

    /// <inheritdoc/>
    public override double SwitchingEnergy(AdcConfig cfg, AdcTechnology t)
    {
        var o = P(cfg);
        double codes = Math.Pow(2, cfg.Bits);
        return (o.F0 * o.Window * codes / Math.Max(1, o.K * o.Window * o.FullScale) + codes / 2)
               * (AdcTechnology.OscillatorCycleCapacitance * 0.81 + 2 * AdcTechnology.FlipFlopEnergy) * t.EnergyScale;
    }
    /// <inheritdoc/>
    public override double CoreArea(AdcConfig cfg, AdcTechnology t) =>
        (5 * AdcTechnology.OscillatorStageArea + cfg.Bits * AdcTechnology.FlipFlopArea + AdcTechnology.ComparatorArea)
            * t.AreaScale;
}

/// <summary>
/// Current-controlled oscillator: f = FMax tanh((f0 + K x) / FMax), so x = (FMax atanh(f_k / FMax) - f0) / K
/// (unreachable when f_k >= FMax).
/// </summary>
public sealed class CcoArchitecture : OscillatorArchitecture
{
    /// <inheritdoc/>
    public override string Kind => "cco";
    /// <inheritdoc/>
    protected override string Units => "A";
    /// <inheritdoc/>
    protected override (Tensor X, Tensor Reachable) Solve(OscillatorParams p, Tensor fk, Tensor k, Tensor f0)
    {
        var x = ((fk / p.FMax).clamp_max(1 - 1e-15).atanh() * p.FMax - f0) / k;
        return (x, ones_like(x, ScalarType.Bool));
    }
}

/// <summary>
/// Voltage-controlled oscillator: f = f0 + K x (1 - c x / FS), so x is the smaller root of
/// K c x^2 / FS - K x + (f_k - f0) = 0 (linear when c = 0; unreachable beyond the curve's peak).
/// </summary>
public sealed class VcoArchitecture : OscillatorArchitecture
{
    /// <inheritdoc/>
    public override string Kind => "vco";
    /// <inheritdoc/>
    protected override string Units => "V";
    /// <inheritdoc/>
    protected override (Tensor X, Tensor Reachable) Solve(OscillatorParams p, Tensor fk, Tensor k, Tensor f0)
    {
        if (p.Curvature <= 0)
        {
            var linear = (fk - f0) / k;
            return (linear, ones_like(linear, ScalarType.Bool));
        }
        var a = k * (p.Curvature / p.FullScale);
        var disc = k.square() - 4 * a * (fk - f0);
        return ((k - disc.clamp_min(0).sqrt()) / (2 * a), disc.ge(0));
    }
}
