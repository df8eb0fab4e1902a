using ImcSharp.Config;
using TorchSharp;
using static TorchSharp.torch;

namespace ImcSharp.Converters;

/// <summary>
/// Single-slope: a ramp shared by all columns of a chip, V(t) = (1 - e^(-t/tau)) / (1 - e^(-1/tau))
/// for t in 0..1 of the count period (RcTau relative to the period; 0 = linear ramp), whose tau
/// varies per chip by TauSigmaGlobal (relative); a per-column comparator offset (LSB).
/// </summary>
public sealed record RampParams
{
    /// <summary>The ramp's RC time constant relative to the count period (dimensionless; 0: a linear ramp).</summary>
    public double RcTau { get; init; } = 2.0;
    /// <summary>Relative spread of tau per chip (sigma, fraction of tau).</summary>
    public double TauSigmaGlobal { get; init; } = 0.05;
    /// <summary>Per-column comparator offset (sigma, LSB).</summary>
    public double ComparatorOffsetSigma { get; init; } = 0.2;
}

/// <summary>
/// Single slope: code k is reached when the ramp passes the input at clock edge k - 1/2:
/// T_k = 2^N r((k - 1/2) / 2^N), r(t) = (1 - e^(-t/tau)) / (1 - e^(-1/tau)) (linear when tau = 0),
/// tau drawn once per chip; per-column comparator offset. Counts from zero input.
/// Price: 2^N (2 E_ff + E_cmp,ct) d + 2^N E_ramp / 128 (2^N clocks, ripple counter ~2 toggles per
/// clock, a ramp shared by 128 columns); area A_cmp s + N A_ff s.
/// </summary>
public sealed class RampArchitecture : AdcArchitecture<RampParams>
{
    /// <inheritdoc/>
    public override string Kind => "ramp";
    /// <inheritdoc/>
    public override string Block => "ramp";
    /// <inheritdoc/>
    public override bool IsUnipolar => true;
    /// <inheritdoc/>
    public override void Validate(AdcConfig cfg, ConfigErrors e, string at)
    {
        base.Validate(cfg, e, at);
        var p = P(cfg);
        e.Positive(at + "ramp.rc_tau", p.RcTau, allowZero: true);
        e.Sigma(at + "ramp.tau_sigma_global", p.TauSigmaGlobal);
        e.Sigma(at + "ramp.comparator_offset_sigma", p.ComparatorOffsetSigma);
    }
    /// <inheritdoc/>
    public override AdcConfig WithoutGlobalVariation(AdcConfig cfg) => cfg.With(P(cfg) with { TauSigmaGlobal = 0 });
    /// <inheritdoc/>
    public override AdcConfig Nominal(AdcConfig cfg) =>
        cfg.With(P(cfg) with { TauSigmaGlobal = 0, ComparatorOffsetSigma = 0 });
    /// <inheritdoc/>
    protected override Tensor Model(AdcConfig cfg, int instances, Generator global, Generator local)
    {
        var p = P(cfg);
        double full = Math.Pow(2, cfg.Bits);
        var t = (AdcModels.Ideal(cfg.Bits) / full).unsqueeze(0);
        Tensor r;
        if (p.RcTau <= 0) r = t;
        else
        {
            double tau = p.RcTau * (1 + Normal(global) * p.TauSigmaGlobal);
            r = (1 - exp(-t / tau)) / (1 - Math.Exp(-1 / tau));
        }
        var offset = Normal(instances, 1, local) * p.ComparatorOffsetSigma;
        return r.expand(instances, -1) * full + offset;
    }
    /// <inheritdoc/>
    public override double SwitchingEnergy(AdcConfig cfg, AdcTechnology t)
    {
        double codes = Math.Pow(2, cfg.Bits);
        return codes * (2 * AdcTechnology.FlipFlopEnergy + AdcTechnology.ContinuousComparatorEnergyPerClock)
            * t.EnergyScale + codes * AdcTechnology.RampEnergyPerClock / 128;
    }
    /// <inheritdoc/>
    public override double CoreArea(AdcConfig cfg, AdcTechnology t) =>
        AdcTechnology.ComparatorArea * t.AreaScale + cfg.Bits * AdcTechnology.FlipFlopArea * t.AreaScale;
}
