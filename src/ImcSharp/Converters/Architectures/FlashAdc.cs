using ImcSharp.Config;
using TorchSharp;

namespace ImcSharp.Converters;

/// <summary>Flash: 2^N - 1 comparators on a resistor ladder; each comparator's offset (LSB) is independent.</summary>
public sealed record FlashParams
{
    /// <summary>Each comparator's offset (sigma, LSB).</summary>
    public double ComparatorSigma { get; init; } = 0.2;
}

/// <summary>
/// Flash: T_k = k - 1/2 + e_k, e_k ~ N(0, comparator_sigma) per comparator.
/// Price: (2^N - 1) E_cmp d + N E_logic d (one decision per comparator, the encoder);
/// area (2^N - 1) A_cmp s + N A_logic s.
/// </summary>
public sealed class FlashArchitecture : AdcArchitecture<FlashParams>
{
    /// <inheritdoc/>
    public override string? SurveyKind => "flash";
    /// <inheritdoc/>
    public override string Kind => "flash";
    /// <inheritdoc/>
    public override string Block => "flash";
    /// <inheritdoc/>
    public override void Validate(AdcConfig cfg, ConfigErrors e, string at)
    {
        base.Validate(cfg, e, at);
        e.Sigma(at + "flash.comparator_sigma", P(cfg).ComparatorSigma);
    }
    /// <inheritdoc/>
    public override AdcConfig Nominal(AdcConfig cfg) => cfg.With(P(cfg) with { ComparatorSigma = 0 });
    /// <inheritdoc/>
    protected override torch.Tensor Model(AdcConfig cfg, int instances, torch.Generator global, torch.Generator local)
    {
        long m = (1L << cfg.Bits) - 1;
        return AdcModels.Ideal(cfg.Bits).unsqueeze(0).expand(instances, m) + Normal(instances, m, local)
            * P(cfg).ComparatorSigma;
    }
    /// <inheritdoc/>
    public override double SwitchingEnergy(AdcConfig cfg, AdcTechnology t) =>
        (Math.Pow(2, cfg.Bits) - 1) * AdcTechnology.ComparatorEnergy * t.EnergyScale + cfg.Bits
            * AdcTechnology.LogicEnergyPerBit * t.EnergyScale;
    /// <inheritdoc/>
    public override double CoreArea(AdcConfig cfg, AdcTechnology t) =>
        (Math.Pow(2, cfg.Bits) - 1) * AdcTechnology.ComparatorArea * t.AreaScale + cfg.Bits
            * AdcTechnology.LogicAreaPerBit * t.AreaScale;
}
