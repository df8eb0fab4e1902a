using ImcSharp.Config;
using TorchSharp;
using static TorchSharp.torch;

namespace ImcSharp.Converters;

/// <summary>
/// One ADC architecture: its name and parameter record (<see cref="IAdcKind"/>), its circuit
/// model as a threshold generator, and its price. Found by name (<see cref="AdcKinds"/>): a new
/// architecture is one subclass in one file (see CONTRIBUTING.md).
/// Thresholds are the 2^N - 1 code transitions of each instance in nominal LSBs of a unipolar
/// input (code 0 at input 0; ideal T_k = k - 1/2); +inf: a code never reached; -inf: a code
/// already produced at the lowest input. Draws: <c>global</c> once per chip, <c>local</c> per instance.
/// </summary>
public abstract class AdcArchitecture : IAdcKind
{
    /// <inheritdoc/>
    public abstract string Kind { get; }
    /// <inheritdoc/>
    public virtual string? Block => null;
    /// <inheritdoc/>
    public virtual Type? ParameterType => null;
    /// <inheritdoc/>
    public virtual bool IsUnipolar => false;
    /// <inheritdoc/>
    public virtual bool HasNativeRange => false;

    /// <summary>
    /// Checks the architecture's own fields; the shared ones are checked by <see cref="AdcConfig.Validate"/>.
    /// </summary>
    public virtual void Validate(AdcConfig cfg, ConfigErrors e, string at) { }

    /// <inheritdoc/>
    public virtual AdcConfig AtBits(AdcConfig cfg, int previousBits) => cfg;
    /// <inheritdoc/>
    public virtual AdcConfig WithoutGlobalVariation(AdcConfig cfg) => cfg;
    /// <inheritdoc/>
    public virtual AdcConfig Nominal(AdcConfig cfg) => cfg;

    /// <summary>
    /// The model's thresholds [instances, 2^N - 1] (LSB), before the variation every architecture shares.
    /// </summary>
    protected abstract Tensor Model(AdcConfig cfg, int instances, Generator global, Generator local);

    /// <summary>
    /// Thresholds of <paramref name="instances"/> ADCs of one chip: the model, then the shared
    /// variation (<see cref="AdcModels.Vary"/>) in the chip's named corner <paramref name="corner"/>
    /// (null: drawn with <paramref name="global"/>).
    /// </summary>
    public virtual Tensor Draw(AdcConfig cfg, int instances, Generator global, Generator local, int? corner) =>
        AdcModels.Vary(Model(cfg, instances, global, local), cfg, corner, global, local);

    /// <summary>
    /// The converter's own physical input range (A or V) and its unit, for <c>range.mode: native</c>; null: none.
    /// </summary>
    public virtual PopulationInfo? Physical(AdcConfig cfg) => null;

    /// <summary>
    /// Names of the global corners a population of this kind brings (null: none; named adc.corners are handled for
    /// every kind).
    /// </summary>
    public virtual string[]? CornerNames(AdcConfig cfg) => null;

    /// <summary>
    /// Energy per conversion (J) of what the architecture switches, before the speed penalty and the survey floor
    /// (<see cref="Cost.AdcCostModel"/>).
    /// </summary>
    public abstract double SwitchingEnergy(AdcConfig cfg, AdcTechnology t);

    /// <summary>Area (m^2) of one instance, before the layout overhead.</summary>
    public abstract double CoreArea(AdcConfig cfg, AdcTechnology t);

    /// <summary>
    /// The survey population whose published converters calibrate this price (<see cref="Cost.AdcSurvey"/>): "sar",
    /// "flash" or "oscillator"; null: no survey population of its kind, priced bottom-up as it is.
    /// </summary>
    public virtual string? SurveyKind => null;

    /// <summary>The architecture of a config.</summary>
    public static AdcArchitecture Of(AdcConfig cfg) => (AdcArchitecture)cfg.Architecture;

    /// <summary>
    /// Thresholds of <paramref name="instances"/> ADCs of one chip, by the config's architecture (<see cref="Draw"/>).
    /// </summary>
    /// <param name="corner">The chip's named corner (index modulo the config's corners); null picks one with
    /// <paramref name="global"/>.</param>
    public static Tensor Thresholds(AdcConfig cfg, int instances, Generator global, Generator local,
        int? corner = null) =>
        Of(cfg).Draw(cfg, instances, global, local, corner);

    /// <summary>Standard normal draws [rows, cols] (float64) from <paramref name="g"/>.</summary>
    protected static Tensor Normal(long rows, long cols, Generator g) =>
        randn(new[] { rows, cols }, ScalarType.Float64, generator: g);
    /// <summary>One standard normal draw from <paramref name="g"/>.</summary>
    protected static double Normal(Generator g) =>
        randn(new long[] { 1 }, ScalarType.Float64, generator: g).item<double>();
}

/// <summary>
/// An architecture with a parameter record <typeparamref name="TParams"/> stored in the JSON block <see cref="Block"/>.
/// </summary>
public abstract class AdcArchitecture<TParams> : AdcArchitecture where TParams : class, new()
{
    /// <inheritdoc/>
    public abstract override string Block { get; }
    /// <inheritdoc/>
    public override Type ParameterType => typeof(TParams);
    /// <summary>The config's parameter record (its defaults when the block is absent).</summary>
    protected static TParams P(AdcConfig cfg) => cfg.Params<TParams>();
}
