using ImcSharp.Config;
using TorchSharp;
using static TorchSharp.torch;

namespace ImcSharp.Converters;

/// <summary>
/// Two-stage pipelined SAR: a coarse SAR resolves the top <see cref="CoarseBits"/>, a residue
/// amplifier (nominal gain 2^(N - N1) in full-scale terms) passes what is left to a fine SAR for
/// the rest. Errors: the coarse SAR's capacitor mismatch (relative unit-cap sigma, as a SAR's)
/// and its comparator's offset (LSB of the whole converter), the residue amplifier's relative
/// gain error (systematic <see cref="GainError"/>, e.g. from finite open-loop gain, plus
/// <see cref="GainSigmaLocal"/> per instance) and an inter-stage offset per instance (LSB).
/// </summary>
public sealed record PipelinedSarParams
{
    /// <summary>Bits N1 the coarse SAR resolves (bits).</summary>
    public int CoarseBits { get; init; } = 3;
    /// <summary>Systematic relative gain error of the residue amplifier (fraction of its nominal gain).</summary>
    public double GainError { get; init; }
    /// <summary>Relative residue-gain spread per instance (sigma, fraction).</summary>
    public double GainSigmaLocal { get; init; } = 0.01;
    /// <summary>Inter-stage offset per instance (sigma, LSB).</summary>
    public double InterstageOffsetSigma { get; init; } = 0.2;
    /// <summary>The coarse SAR's relative unit-capacitor mismatch (sigma, fraction of a unit cap).</summary>
    public double UnitCapSigma { get; init; } = 0.01;
    /// <summary>The coarse SAR's comparator offset (sigma, LSB of the whole converter).</summary>
    public double ComparatorOffsetSigma { get; init; } = 0.2;
}

/// <summary>
/// Thresholds (LSB), with S = 2^(N - N1) fine codes per coarse step: the coarse capacitor DAC's
/// levels V(c) = (t_c + 1/2) S (t_c its mismatched thresholds in coarse LSB without offset,
/// <see cref="SarArchitecture.Thresholds"/>; V(0) = 0); the coarse comparator decides code c S at
/// V(c) - 1/2 + d (d its offset); fine code f of step c at T(c S + f) = V(c) + (f - 1/2 + o) / (1 + e),
/// e = GainError + GainSigmaLocal z (the residue x - V(c) is amplified by (1 + e) times its nominal
/// gain), o the inter-stage offset. A fine stage cannot leave its coarse step: T is clamped into
/// [T(c S), T((c + 1) S)], so a gain below nominal (or a decision late by d) saturates the fine SAR
/// before the next coarse step (the step's top codes go missing) and a gain above it widens the
/// step's last code: DNL repeating every S codes. Ideal with no errors.
/// Price: the two SARs (N1 and N - N1 bits) plus the residue amplifier charging the fine DAC,
/// 2^(N-N1) C_u V^2; area: both SARs and an amplifier of two comparators' size.
/// </summary>
public sealed class PipelinedSarArchitecture : AdcArchitecture<PipelinedSarParams>
{
    /// <inheritdoc/>
    public override string? SurveyKind => "sar";   // two SARs and a residue amplifier
    /// <inheritdoc/>
    public override string Kind => "pipelined-sar";
    /// <inheritdoc/>
    public override string Block => "pipelined_sar";

    /// <inheritdoc/>
    public override void Validate(AdcConfig cfg, ConfigErrors e, string at)
    {
        base.Validate(cfg, e, at);
        var p = P(cfg);
        e.Range(at + "pipelined_sar.coarse_bits", p.CoarseBits, 1, Math.Max(1, cfg.Bits - 1));
        if (!double.IsFinite(p.GainError) || p.GainError <= -0.5 || p.GainError >= 0.5)
            e.Add(at + "pipelined_sar.gain_error", p.GainError, "expected a relative gain error in (-0.5, 0.5)");
        e.Sigma(at + "pipelined_sar.gain_sigma_local", p.GainSigmaLocal);
        e.Sigma(at + "pipelined_sar.interstage_offset_sigma", p.InterstageOffsetSigma);
        e.Sigma(at + "pipelined_sar.unit_cap_sigma", p.UnitCapSigma);
        e.Sigma(at + "pipelined_sar.comparator_offset_sigma", p.ComparatorOffsetSigma);
    }

    /// <summary>The systematic gain error stays (it is the design's); random spreads go.</summary>
    public override AdcConfig Nominal(AdcConfig cfg) =>
        cfg.With(P(cfg) with { GainSigmaLocal = 0, InterstageOffsetSigma = 0, UnitCapSigma = 0,
            ComparatorOffsetSigma = 0 });

    /// <inheritdoc/>
    protected override Tensor Model(AdcConfig cfg, int instances, Generator global, Generator local)
    {
        var p = P(cfg);
        int n1 = p.CoarseBits, n2 = cfg.Bits - n1;
        long steps = 1L << n1, s = 1L << n2;
        var coarse =
            SarArchitecture.Thresholds(new SarParams { UnitCapSigma = p.UnitCapSigma, ComparatorOffsetSigma = 0 }, n1,
            instances, local);
        // V(c), c = 0 .. steps - 1
        var level = cat(new[] { zeros(instances, 1, ScalarType.Float64), (coarse + 0.5) * s }, 1);
        var gain = Normal(instances, 1, local) * p.GainSigmaLocal + (1 + p.GainError);
        var offset = Normal(instances, 1, local) * p.InterstageOffsetSigma;
        var decision = Normal(instances, 1, local) * p.ComparatorOffsetSigma;
        // fine codes 1 .. S-1
        var f = arange(1, s, ScalarType.Float64).unsqueeze(0);
        // [I, steps, S-1]
        var fine = level.unsqueeze(2) + ((f - 0.5 + offset) / gain).unsqueeze(1);
        var start = (level - 0.5 + decision).unsqueeze(2);                                                   // T(c S)
        var next = cat(new[] { start.squeeze(2).narrow(1, 1, steps - 1),
            full(instances, 1, double.PositiveInfinity, ScalarType.Float64) }, 1).unsqueeze(2);
        fine = minimum(maximum(fine, start), next);
        // Code c S + f for f = 0 (coarse step, none for c = 0) then its fine codes: [I, steps * S - 1].
        var all = cat(new[] { start, fine }, 2).reshape(instances, steps * s);
        return all.narrow(1, 1, steps * s - 1).contiguous();
    }

    /// <inheritdoc/>
    public override double SwitchingEnergy(AdcConfig cfg, AdcTechnology t)
    {
        int n1 = P(cfg).CoarseBits, n2 = cfg.Bits - n1;
        return SarArchitecture.Energy(n1, t) + SarArchitecture.Energy(n2, t) + Math.Pow(2, n2)
            * AdcTechnology.UnitCapacitance(n2) * t.Supply * t.Supply;
    }

    /// <inheritdoc/>
    public override double CoreArea(AdcConfig cfg, AdcTechnology t)
    {
        int n1 = P(cfg).CoarseBits, n2 = cfg.Bits - n1;
        return SarArchitecture.Area(n1, t) + SarArchitecture.Area(n2, t) + 2 * AdcTechnology.ComparatorArea
            * t.AreaScale;
    }
}
