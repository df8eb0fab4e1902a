using ImcSharp.Config;
using TorchSharp;
using static TorchSharp.torch;

namespace ImcSharp.Converters;

/// <summary>
/// Current integrator + comparator: counts(u) = u - D (1 - e^(-u/D)) (u in LSB): the comparator
/// delay eats small currents, so the curve is compressive near zero (slope 0 at u = 0) and
/// linear with an offset of -D LSB above a few D. DeadZoneSigmaLocal is the relative spread of D.
/// </summary>
public sealed record IntegratorParams
{
    /// <summary>The comparator delay's dead zone D (LSB of input).</summary>
    public double DeadZone { get; init; } = 2.0;
    /// <summary>Relative spread of D per instance (sigma, fraction of D).</summary>
    public double DeadZoneSigmaLocal { get; init; } = 0.1;
}

/// <summary>
/// Integrator: T_k solves counts(u) = k - 1/2: 30 Newton steps from u = k - 1/2 + D (counts is
/// convex and increasing, so Newton from the right converges monotonically). Counts from zero input.
/// Price: 2^N (2 E_ff + E_cmp,ct) d + C_int V^2 (a counter while integrating, the integrator's
/// reset); area (A_cmp + N A_ff) s + C_int / (capacitance per area).
/// </summary>
public sealed class IntegratorArchitecture : AdcArchitecture<IntegratorParams>
{
    /// <inheritdoc/>
    public override string Kind => "integrator";
    /// <inheritdoc/>
    public override string Block => "integrator";
    /// <inheritdoc/>
    public override bool IsUnipolar => true;
    /// <inheritdoc/>
    public override void Validate(AdcConfig cfg, ConfigErrors e, string at)
    {
        base.Validate(cfg, e, at);
        e.Positive(at + "integrator.dead_zone", P(cfg).DeadZone, allowZero: true);
        e.Sigma(at + "integrator.dead_zone_sigma_local", P(cfg).DeadZoneSigmaLocal);
    }
    /// <inheritdoc/>
    public override AdcConfig Nominal(AdcConfig cfg) => cfg.With(P(cfg) with { DeadZoneSigmaLocal = 0 });
    /// <inheritdoc/>
    protected override Tensor Model(AdcConfig cfg, int instances, Generator global, Generator local)
    {
        var p = P(cfg);
        var d = (Normal(instances, 1, local) * p.DeadZoneSigmaLocal + 1).clamp_min(1e-9) * p.DeadZone;
        var c = AdcModels.Ideal(cfg.Bits).unsqueeze(0);
        if (p.DeadZone <= 0) return c.expand(instances, -1).clone();
        var u = (c + d).contiguous();
        for (int i = 0; i < 30; i++)
        {
            using var step = NewDisposeScope();
            var e = (-u / d).exp_();
            var f = u - d * (1 - e) - c;                // counts(u) - target
            var slope = 1 - e;                          // d counts / du
            u.sub_(f / slope.clamp_min(1e-12));
        }
        return u;
    }
    /// <inheritdoc/>
    public override double SwitchingEnergy(AdcConfig cfg, AdcTechnology t) =>
        Math.Pow(2, cfg.Bits) * (2 * AdcTechnology.FlipFlopEnergy + AdcTechnology.ContinuousComparatorEnergyPerClock)
            * t.EnergyScale
        + AdcTechnology.IntegratorCapacitance * t.Supply * t.Supply;
    /// <inheritdoc/>
    public override double CoreArea(AdcConfig cfg, AdcTechnology t) =>
        (AdcTechnology.ComparatorArea + cfg.Bits * AdcTechnology.FlipFlopArea) * t.AreaScale
            + AdcTechnology.IntegratorCapacitance * AdcTechnology.CapacitorAreaPerFarad;
}
