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
    /// <summary>Counts from zero input: code 0 is zero current or charge (needs digital subtraction or a mid-scale bias on a signed sum).</summary>
    bool IsUnipolar { get; }
    /// <summary>Has a physical input range of its own (<c>range.mode: native</c>).</summary>
    bool HasNativeRange { get; }
    void Validate(AdcConfig cfg, ConfigErrors e, string at);
    /// <summary>The same design at another resolution (Bits is already set).</summary>
    AdcConfig AtBits(AdcConfig cfg, int previousBits);
    /// <summary>The architecture's own per-chip sigmas set to zero.</summary>
    AdcConfig WithoutGlobalVariation(AdcConfig cfg);
    /// <summary>The architecture's own sigmas (global and local) set to zero.</summary>
    AdcConfig Nominal(AdcConfig cfg);
}

/// <summary>
/// The ADC architectures, registered by name: every non-abstract <see cref="IAdcKind"/> with a
/// parameterless constructor in this assembly, plus any a program registers itself.
/// </summary>
public static class AdcKinds
{
    static readonly object Gate = new();
    static Dictionary<string, IAdcKind>? _byKind;

    static Dictionary<string, IAdcKind> ByKind
    {
        get
        {
            lock (Gate)
            {
                if (_byKind is not null) return _byKind;
                _byKind = new Dictionary<string, IAdcKind>(StringComparer.Ordinal);
                foreach (var t in typeof(AdcKinds).Assembly.GetTypes()
                             .Where(t => !t.IsAbstract && typeof(IAdcKind).IsAssignableFrom(t) && t.GetConstructor(Type.EmptyTypes) is not null)
                             .OrderBy(t => t.FullName, StringComparer.Ordinal))
                    Add(_byKind, (IAdcKind)Activator.CreateInstance(t)!);
                return _byKind;
            }
        }
    }

    static void Add(Dictionary<string, IAdcKind> d, IAdcKind k)
    {
        if (!d.TryAdd(k.Kind, k)) throw new InvalidOperationException($"two ADC architectures named '{k.Kind}'");
        var clash = d.Values.FirstOrDefault(o => o != k && o.Block is not null && o.Block == k.Block && o.ParameterType != k.ParameterType);
        if (clash is not null) throw new InvalidOperationException($"ADC architectures '{clash.Kind}' and '{k.Kind}' use block '{k.Block}' with different parameter types");
    }

    /// <summary>Adds an architecture defined outside ImcSharp (its name must be new).</summary>
    public static void Register(IAdcKind kind)
    {
        lock (Gate) Add(ByKind, kind);
    }

    public static IReadOnlyCollection<string> Names { get { lock (Gate) return ByKind.Keys.OrderBy(k => k, StringComparer.Ordinal).ToList(); } }

    public static bool TryGet(string kind, out IAdcKind architecture)
    {
        lock (Gate) return ByKind.TryGetValue(kind, out architecture!);
    }

    public static IAdcKind Get(string kind) => TryGet(kind, out var k) ? k
        : throw new ImcInputException($"adc.kind '{kind}' is not known: expected one of {string.Join(", ", Names)}");

    /// <summary>Parameter blocks by JSON key, with their record type.</summary>
    public static IReadOnlyDictionary<string, Type> Blocks
    {
        get
        {
            lock (Gate)
                return ByKind.Values.Where(k => k.Block is not null).GroupBy(k => k.Block!).ToDictionary(g => g.Key, g => g.First().ParameterType!, StringComparer.Ordinal);
        }
    }

    /// <summary>The block a parameter record type is stored under.</summary>
    public static string BlockOf(Type parameterType)
    {
        lock (Gate)
            return ByKind.Values.FirstOrDefault(k => k.ParameterType == parameterType)?.Block
                   ?? throw new InvalidOperationException($"{parameterType.Name} is not the parameter record of a registered ADC architecture");
    }
}
