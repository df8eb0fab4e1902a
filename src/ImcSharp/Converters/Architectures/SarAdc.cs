using ImcSharp.Config;
using TorchSharp;
using static TorchSharp.torch;

namespace ImcSharp.Converters;

/// <summary>
/// SAR: binary-weighted capacitor DAC; a 2^i-unit capacitor has relative sigma
/// UnitCapSigma / sqrt(2^i); one comparator offset (LSB) shifts all thresholds.
/// </summary>
public sealed record SarParams
{
    /// <summary>
    /// Relative mismatch of a unit capacitor (sigma, fraction of a unit cap; 2^i units: / sqrt(2^i)).
    /// </summary>
    public double UnitCapSigma { get; init; } = 0.01;
    /// <summary>The comparator's offset, shifting every threshold (sigma, LSB).</summary>
    public double ComparatorOffsetSigma { get; init; } = 0.2;
}

/// <summary>
/// SAR: caps C_i = 2^i (1 + d_i), d_i ~ N(0, s/sqrt(2^i)), i = 0..N-1, plus a unit terminating
/// cap; DAC level of code k: V(k) = 2^N sum_i b_i(k) C_i / C_tot (LSB); T_k = V(k) - 1/2 + offset.
/// The largest DNL errors sit where many bits flip at once, worst at mid-scale (MSB vs the rest).
/// Price: N (E_cmp + E_logic) d + 1/2 2^N C_u(N) V^2 (N decisions; monotonic cap-DAC switching,
/// Liu 2010); area A_cmp s + N A_logic s + 2^N C_u(N) / (capacitance per area).
/// </summary>
public sealed class SarArchitecture : AdcArchitecture<SarParams>
{
    /// <inheritdoc/>
    public override string? SurveyKind => "sar";
    /// <inheritdoc/>
    public override string Kind => "sar";
    /// <inheritdoc/>
    public override string Block => "sar";
    /// <inheritdoc/>
    public override void Validate(AdcConfig cfg, ConfigErrors e, string at)
    {
        base.Validate(cfg, e, at);
        e.Sigma(at + "sar.unit_cap_sigma", P(cfg).UnitCapSigma);
        e.Sigma(at + "sar.comparator_offset_sigma", P(cfg).ComparatorOffsetSigma);
    }
    /// <inheritdoc/>
    public override AdcConfig Nominal(AdcConfig cfg) =>
        cfg.With(P(cfg) with { UnitCapSigma = 0, ComparatorOffsetSigma = 0 });
    /// <inheritdoc/>
    protected override Tensor Model(AdcConfig cfg, int instances, Generator global, Generator local) =>
        Thresholds(P(cfg), cfg.Bits, instances, local);

    /// <summary>
    /// The capacitor-DAC thresholds of <paramref name="instances"/> SARs (also a time-interleaved SAR's channels).
    /// </summary>
    public static Tensor Thresholds(SarParams p, int n, long instances, Generator local)
    {
        var weights = pow(2.0, arange(n, ScalarType.Float64));                                // [N]
        var caps = weights * (Normal(instances, n, local) * (p.UnitCapSigma / weights.sqrt()) + 1);
        var total = caps.sum(1, keepdim: true) + 1;                                          // + terminating unit cap
        var codes = arange(1, 1L << n, ScalarType.Int64);
        // [M, N]
        var bits = codes.unsqueeze(1).bitwise_right_shift(arange(n, ScalarType.Int64)).bitwise_and(1)
            .to_type(ScalarType.Float64);
        var level = caps.matmul(bits.t()) / total * Math.Pow(2, n);                          // [I, M]
        var offset = Normal(instances, 1, local) * p.ComparatorOffsetSigma;
        return level - 0.5 + offset;
    }

    /// <inheritdoc/>
    public override double SwitchingEnergy(AdcConfig cfg, AdcTechnology t) => Energy(cfg.Bits, t);
    /// <inheritdoc/>
    public override double CoreArea(AdcConfig cfg, AdcTechnology t) => Area(cfg.Bits, t);

    /// <summary>Energy per conversion (J) of an <paramref name="n"/>-bit SAR (see the class summary).</summary>
    public static double Energy(int n, AdcTechnology t) =>
        n * (AdcTechnology.ComparatorEnergy + AdcTechnology.LogicEnergyPerBit) * t.EnergyScale + 0.5 * Math.Pow(2, n)
            * AdcTechnology.UnitCapacitance(n) * t.Supply * t.Supply;
    /// <summary>Area (m^2) of one <paramref name="n"/>-bit SAR (see the class summary).</summary>
    public static double Area(int n, AdcTechnology t) =>
        AdcTechnology.ComparatorArea * t.AreaScale + n * AdcTechnology.LogicAreaPerBit * t.AreaScale + Math.Pow(2, n)
            * AdcTechnology.UnitCapacitance(n) * AdcTechnology.CapacitorAreaPerFarad;
}
