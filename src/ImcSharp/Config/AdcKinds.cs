namespace ImcSharp.Config;

/// <summary>
/// What the configuration layer needs of an ADC architecture: its name (<c>adc.kind</c>), the
/// JSON block holding its parameter record, and how a config of that kind is validated and
/// derived (another resolution, no global variation, the nominal curve). Implemented by
/// <c>Converters.AdcArchitecture</c>, which adds the circuit model and the price.
/// </summary>
public interface IAdcKind
{
    /// <summary>The name in <c>adc.kind</c> (kebab case: "sar", "sense-amp").</summary>
    string Kind { get; }
    /// <summary>JSON key of the parameter record (e.g. "oscillator", shared by cco and vco); null: none.</summary>
    string? Block { get; }
    /// <summary>The parameter record's type (a record with a parameterless constructor); null: none.</summary>
    Type? ParameterType { get; }
    /// <summary>
    /// Counts from zero input: code 0 is zero current or charge (needs digital subtraction or a mid-scale bias on a
    /// signed sum).
    /// </summary>
    bool IsUnipolar { get; }
    /// <summary>Has a physical input range of its own (<c>range.mode: native</c>).</summary>
    bool HasNativeRange { get; }
    /// <summary>The architecture's own checks of an ADC config of its kind.</summary>
    void Validate(AdcConfig cfg, ConfigErrors e, string at);
    /// <summary>The same design at another resolution (Bits is already set).</summary>
    AdcConfig AtBits(AdcConfig cfg, int previousBits);
    /// <summary>The architecture's own per-chip sigmas set to zero.</summary>
    AdcConfig WithoutGlobalVariation(AdcConfig cfg);
    /// <summary>The architecture's own sigmas (global and local) set to zero.</summary>
    AdcConfig Nominal(AdcConfig cfg);
}

/// <summary>
/// The ADC architectures, registered by name (see <see cref="Registry{T}"/>): every non-abstract
/// <see cref="IAdcKind"/> with a parameterless constructor in this assembly, plus any a program
/// registers itself. Architectures that share a parameter block must share its record type.
/// </summary>
public static class AdcKinds
{
    /// <summary>The registry; a program adds its own with <c>AdcKinds.All.Register(new MyArchitecture())</c>.</summary>
    public static Registry<IAdcKind> All { get; } = new("ADC architecture", k => k.Kind, (kind, others) =>
    {
        // Architectures that share a parameter block must read it into the same record.
        var clash = others.FirstOrDefault(o => o.Block is not null && o.Block == kind.Block
            && o.ParameterType != kind.ParameterType);
        if (clash is not null)
            throw new InvalidOperationException(
                $"ADC architectures '{clash.Kind}' and '{kind.Kind}' use block '{kind.Block}' with different " +
                "parameter types");
    });

    static IEnumerable<IAdcKind> Kinds => All.Items;

    /// <summary>The registered kinds, in order.</summary>
    public static IReadOnlyCollection<string> Names => All.Names;

    /// <summary>The architecture of <paramref name="kind"/>, if registered.</summary>
    public static bool TryGet(string kind, out IAdcKind architecture) => All.TryGet(kind, out architecture);

    /// <summary>
    /// The architecture of <paramref name="kind"/>, or one error naming <c>adc.kind</c> and the known kinds.
    /// </summary>
    public static IAdcKind Get(string kind) => All.Get(kind, "adc.kind");

    /// <summary>Parameter blocks by JSON key, with their record type.</summary>
    public static IReadOnlyDictionary<string, Type> Blocks =>
        Kinds.Where(k => k.Block is not null).GroupBy(k => k.Block!).ToDictionary(g => g.Key,
            g => g.First().ParameterType!, StringComparer.Ordinal);

    /// <summary>The block a parameter record type is stored under.</summary>
    public static string BlockOf(Type parameterType) =>
        Kinds.FirstOrDefault(k => k.ParameterType == parameterType)?.Block
        ?? throw new InvalidOperationException(
            $"{parameterType.Name} is not the parameter record of a registered ADC architecture");
}
