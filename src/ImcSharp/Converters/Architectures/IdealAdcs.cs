using ImcSharp.Config;
using TorchSharp;

namespace ImcSharp.Converters;

/// <summary>
/// Ideal: T_k = k - 1/2 exactly (only the shared variation, if any, moves it). Priced as a SAR,
/// the architecture an ideal reference is usually built as.
/// </summary>
public sealed class IdealArchitecture : AdcArchitecture
{
    /// <inheritdoc/>
    public override string? SurveyKind => "sar";   // priced as a SAR
    /// <summary>The kind's name in <c>adc.kind</c>.</summary>
    public const string Name = "ideal";
    /// <inheritdoc/>
    public override string Kind => Name;
    /// <inheritdoc/>
    protected override torch.Tensor Model(AdcConfig cfg, int instances, torch.Generator global,
        torch.Generator local) =>
        AdcModels.Ideal(cfg.Bits).unsqueeze(0).expand(instances, -1).clone();
    /// <inheritdoc/>
    public override double SwitchingEnergy(AdcConfig cfg, AdcTechnology t) => SarArchitecture.Energy(cfg.Bits, t);
    /// <inheritdoc/>
    public override double CoreArea(AdcConfig cfg, AdcTechnology t) => SarArchitecture.Area(cfg.Bits, t);
}

/// <summary>Sense amplifier: a 1-bit ADC, one latch decision per conversion.</summary>
public sealed class SenseAmpArchitecture : AdcArchitecture
{
    /// <inheritdoc/>
    public override string Kind => "sense-amp";
    /// <inheritdoc/>
    public override void Validate(AdcConfig cfg, ConfigErrors e, string at)
    {
        base.Validate(cfg, e, at);
        if (cfg.Bits != 1) e.Add(at + "bits", cfg.Bits, "a sense amplifier is a 1-bit ADC: set bits to 1");
    }
    /// <inheritdoc/>
    protected override torch.Tensor Model(AdcConfig cfg, int instances, torch.Generator global,
        torch.Generator local) =>
        AdcModels.Ideal(cfg.Bits).unsqueeze(0).expand(instances, -1).clone();
    /// <inheritdoc/>
    public override double SwitchingEnergy(AdcConfig cfg, AdcTechnology t) =>
        AdcTechnology.ComparatorEnergy * t.EnergyScale;
    /// <inheritdoc/>
    public override double CoreArea(AdcConfig cfg, AdcTechnology t) => AdcTechnology.ComparatorArea * t.AreaScale;
}
