using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;

namespace ImcSharp.Config;

/// <summary>
/// JSON of an <see cref="AdcConfig"/>: the shared fields, then parameter blocks. On reading,
/// every key is a shared field or a registered architecture's block (anything else is an unknown
/// key), and each block is read strictly into its record. On writing, only the block of the
/// config's own architecture is written, with its defaults filled in, so a design reads the same
/// however it was written (content fingerprints compare designs, not files). The population
/// kind's record (<see cref="PopulationFiles"/>) is the exception: its files keep their flat keys.
/// </summary>
public sealed class AdcConfigJson : JsonConverter<AdcConfig>
{
    /// <summary>The fields every architecture shares.</summary>
    sealed record Shared
    {
        public string Kind { get; init; } = "ideal";
        public int Bits { get; init; } = 8;
        public AdcRange Range { get; init; } = new();
        public AdcVariation Variation { get; init; } = new();
        public string? Population { get; init; }
        [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)] public string? LocalPopulation { get; init; }
        public CalibrationKind Calibration { get; init; }
        public AdcBias Bias { get; init; }
        [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)] public bool OffsetTrim { get; init; }
        [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)] public bool OffsetRetrim { get; init; }
        public List<AdcCorner> Corners { get; init; } = new();
    }

    static readonly string[] SharedKeys =
        { "kind", "bits", "range", "variation", "population", "local_population", "calibration", "bias", "offset_trim",
        "offset_retrim", "corners" };

    /// <summary>
    /// A failure inside the ADC object, with the field it concerns (<see cref="IO.Json.InputError"/> appends it to the
    /// path).
    /// </summary>
    static JsonException Fail(string field, string message) => new(message) { Data = { ["field"] = field } };

    /// <summary>
    /// Reads the shared fields and the chosen kind's block; another kind's block or an unknown key is an error.
    /// </summary>
    public override AdcConfig Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        using var doc = JsonDocument.ParseValue(ref reader);
        if (doc.RootElement.ValueKind != JsonValueKind.Object) throw new JsonException("expected an object");
        var shared = new JsonObject();
        var parameters = new Dictionary<string, object>(StringComparer.Ordinal);
        var blocks = AdcKinds.Blocks;
        foreach (var p in doc.RootElement.EnumerateObject())
        {
            if (SharedKeys.Contains(p.Name)) shared[p.Name] = JsonNode.Parse(p.Value.GetRawText());
            else if (blocks.TryGetValue(p.Name, out var type))
            {
                try { parameters[p.Name] =
                    p.Value.Deserialize(type, options) ?? throw new JsonException("expected an object"); }
                catch (JsonException e) { throw Fail(p.Name + Inner(e), IO.Json.Explain(e.Message)); }
            }
            else
                throw Fail(p.Name,
                    $"unknown key '{p.Name}'; expected one " +
                    $"of: {string.Join(", ", SharedKeys.Concat(blocks.Keys.OrderBy(k => k, StringComparer.Ordinal)))}");
        }
        Shared s;
        try { s = shared.Deserialize<Shared>(options)!; }
        catch (JsonException e) { throw Fail(Inner(e).TrimStart('.'), IO.Json.Explain(e.Message)); }
        if (!AdcKinds.TryGet(s.Kind, out var chosen)) throw Fail("kind",
            $"'{s.Kind}' is not known: expected one of: {string.Join(", ", AdcKinds.Names)}");
        // Another architecture's block would be silently ignored: the designer meant something by it.
        foreach (var block in parameters.Keys.Where(b => b != chosen.Block))
            throw Fail(block,
                $"is a parameter block of another ADC kind; kind '{s.Kind}' " +
                $"reads {(chosen.Block is { } own ? $"'{own}'" : "no block")}: remove it or set kind");
        if (s.Population is not null || s.LocalPopulation is not null)
        {
            if (chosen.ParameterType != typeof(PopulationFiles))
                throw Fail(s.Population is not null ? "population" : "local_population",
                    $"is read only by kind population, not '{s.Kind}': remove it or set kind");
            parameters[chosen.Block!] = new PopulationFiles { File = s.Population, Local = s.LocalPopulation };
        }
        return new AdcConfig
        {
            Kind = s.Kind, Bits = s.Bits, Range = s.Range, Variation = s.Variation, Parameters = parameters,
            Calibration = s.Calibration, Bias = s.Bias, OffsetTrim = s.OffsetTrim,
            OffsetRetrim = s.OffsetRetrim, Corners = s.Corners,
        };
    }

    static string Inner(JsonException e) => e.Path is { Length: > 1 } p ? "." + p.TrimStart('$', '.') : "";

    /// <summary>Writes the shared fields and the kind's own block, its defaults filled in.</summary>
    public override void Write(Utf8JsonWriter writer, AdcConfig value, JsonSerializerOptions options)
    {
        AdcKinds.TryGet(value.Kind, out var arch);
        var files = arch?.ParameterType == typeof(PopulationFiles) ? value.Params<PopulationFiles>() : null;
        var node = JsonSerializer.SerializeToNode(new Shared
        {
            Kind = value.Kind, Bits = value.Bits, Range = value.Range, Variation = value.Variation,
                Population = files?.File,
            LocalPopulation = files?.Local, Calibration = value.Calibration, Bias = value.Bias,
                OffsetTrim = value.OffsetTrim,
            OffsetRetrim = value.OffsetRetrim, Corners = value.Corners,
        }, options)!.AsObject();
        if (arch is not null && files is null && arch.Block is { } block)
        {
            var record =
                value.Parameters.TryGetValue(block, out var given) ? given
                : Activator.CreateInstance(arch.ParameterType!)!;
            node[block] = JsonSerializer.SerializeToNode(record, arch.ParameterType!, options);
        }
        node.WriteTo(writer, options);
    }
}
