using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using ImcSharp.IO;

namespace ImcSharp.Config;

/// <summary>Everything that describes one analog layer's hardware: core, cell, array physics and ADC.</summary>
public sealed record LayerHardware
{
    /// <summary>The core: array size, weight and input resolution, mapping, ADC sharing, subtraction.</summary>
    public CoreConfig Core { get; init; } = new();
    /// <summary>The memory cell.</summary>
    public CellConfig Cell { get; init; } = new();
    /// <summary>How columns sum: array mode and solver, and their physics.</summary>
    public ArrayConfig Array { get; init; } = new();
    /// <summary>The column ADCs.</summary>
    public AdcConfig Adc { get; init; } = new();

    /// <summary>
    /// The hardware with only the chosen levels of variation: local-only pins the ADC's global
    /// draws at the nominal corner (cells and array offsets are local by nature and stay);
    /// nominal also removes every random cell, array and ADC error.
    /// </summary>
    public LayerHardware With(VariationLevels levels) => levels switch
    {
        VariationLevels.LocalOnly => this with { Adc = Adc.WithoutGlobalVariation() },
        VariationLevels.Nominal =>
            this with { Cell = Cell.Nominal(), Array = Array with { OffsetSigma = 0 }, Adc = Adc.Nominal() },
        _ => this,
    };

    /// <summary>This hardware checked whole; one error naming <paramref name="source"/> and every bad field.</summary>
    public LayerHardware Validated(string source)
    {
        var e = new ConfigErrors();
        Core.Validate(e, "core.");
        Cell.Validate(e, "cell.", Core);
        Array.Validate(e, "array.", Cell);
        Adc.Validate(e, "adc.");
        if (Core.Subtract == Subtraction.Analog && Adc.IsUnipolar && Adc.Bias == AdcBias.None
            && !(Adc.Range.Mode == AdcRangeMode.Absolute && Adc.Range.Min >= 0))
            e.Add("adc.kind", Json.Name(Adc.Kind),
                "is unipolar (code 0 at zero input) but core.subtract = analog sends it a signed sum: " +
                "set core.subtract to digital (each column converted on its own), or state adc.bias = mid-scale (an " +
                    "offset current of half the range)");
        if (Adc.Range.Mode == AdcRangeMode.Native && Core.Subtract != Subtraction.Digital)
            e.Add("adc.range.mode", "native",
                "a converter's native range starts at zero input: it needs core.subtract = digital (unsigned column " +
                "sums)");
        if (Core.Subtract == Subtraction.Digital && Adc.Bias != AdcBias.None)
            e.Add("adc.bias", Json.Name(Adc.Bias),
                "applies to core.subtract = analog: with digital subtraction every column's sum is unsigned");
        e.ThrowIfAny(source);
        return this;
    }
}

/// <summary>
/// A hardware config file: a default <see cref="LayerHardware"/> for every analog layer, layers
/// kept digital, and per-layer overrides (partial objects merged over the defaults, e.g.
/// <c>"layers": {"fc1": {"adc": {"bits": 6}}}</c>).
/// </summary>
public sealed record HardwareConfig
{
    /// <summary>The design's name (in tables, plots and result files).</summary>
    public string Name { get; init; } = "unnamed";
    /// <summary>What the design is, in words.</summary>
    public string Description { get; init; } = "";
    /// <summary>The core: array size, weight and input resolution, mapping, ADC sharing, subtraction.</summary>
    public CoreConfig Core { get; init; } = new();
    /// <summary>The memory cell.</summary>
    public CellConfig Cell { get; init; } = new();
    /// <summary>How columns sum: array mode and solver, and their physics.</summary>
    public ArrayConfig Array { get; init; } = new();
    /// <summary>The column ADCs.</summary>
    public AdcConfig Adc { get; init; } = new();
    /// <summary>Technology and timing for the energy and area model (one per design, not per layer).</summary>
    public CostConfig Cost { get; init; } = new();
    /// <summary>Per-chip deployment compensation (gain registers, BatchNorm re-estimation); null: none.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public CompensationConfig? Compensation { get; init; }
    /// <summary>
    /// Where attention's products between activations (Q K^T, A V), softmax, LayerNorm and GELU run: digital, the only
    /// placement modelled (they have no static weights; writing K and V into arrays per input is not modelled). Priced
    /// by <see cref="Cost.DigitalOpCost"/>; left out of the fingerprint while digital.
    /// </summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)]
    public OpPlacement Attention { get; init; } = OpPlacement.Digital;
    /// <summary>Keep the network's first / last weight layer digital (common in IMC designs).</summary>
    public bool KeepFirstDigital { get; init; }
    /// <summary>Keep the network's last weight layer digital.</summary>
    public bool KeepLastDigital { get; init; }
    /// <summary>Layer names (as in the state dict, e.g. "conv1", "blocks.0.conv1") kept digital.</summary>
    public List<string> DigitalLayers { get; init; } = new();
    /// <summary>Per-layer overrides by layer name: partial objects merged over the defaults.</summary>
    public Dictionary<string, JsonObject> Layers { get; init; } = new();

    /// <summary>Where the config came from (its path), for errors.</summary>
    [JsonIgnore] public string Source { get; init; } = "hardware config";

    /// <summary>The hardware of a layer without an override.</summary>
    public LayerHardware Defaults => new() { Core = Core, Cell = Cell, Array = Array, Adc = Adc };

    /// <summary>The hardware of one layer: defaults with that layer's override merged in, validated.</summary>
    public LayerHardware For(string layer)
    {
        if (!Layers.TryGetValue(layer, out var over)) return Defaults.Validated(Source);
        var merged = JsonSerializer.SerializeToNode(Defaults, Json.Options)!.AsObject();
        Merge(merged, over);
        try
        {
            return merged.Deserialize<LayerHardware>(Json.Strict)!.Validated($"{Source} (layers.{layer})");
        }
        catch (JsonException e)
        {
            throw Json.InputError(e, Source, $"layers.{layer}.");
        }
    }

    /// <summary>
    /// Whether <paramref name="layer"/> stays digital (named, or first/last when those are kept digital).
    /// </summary>
    public bool IsDigital(string layer, bool isFirst, bool isLast) =>
        DigitalLayers.Contains(layer) || (isFirst && KeepFirstDigital) || (isLast && KeepLastDigital);

    /// <summary>Reads and validates a config file; population files it names are found relative to it.</summary>
    public static HardwareConfig Load(string path)
    {
        if (!File.Exists(path)) throw new ImcInputException($"{path}: hardware config not found");
        var cfg = Parse(File.ReadAllText(path), path);
        return cfg with { Adc = PopulationFiles.RelativeTo(cfg.Adc, path) };
    }

    /// <summary>Reads and validates a config from JSON text; <paramref name="source"/> names it in errors.</summary>
    public static HardwareConfig Parse(string json, string source = "hardware config")
    {
        HardwareConfig cfg;
        try
        {
            Json.RejectNullElements(json, source);
            cfg = JsonSerializer.Deserialize<HardwareConfig>(json, Json.Strict)
                ?? throw new ImcInputException($"{source}: expected a JSON object");
        }
        catch (JsonException e)
        {
            throw Json.InputError(e, source);
        }
        cfg = cfg with { Source = source };
        cfg.Defaults.Validated(source);
        var costErrors = new ConfigErrors();
        cfg.Cost.Validate(costErrors, "cost.");
        cfg.Compensation?.Validate(costErrors, "compensation.");
        costErrors.ThrowIfAny(source);
        foreach (var layer in cfg.Layers.Keys) cfg.For(layer);
        return cfg;
    }

    /// <summary>
    /// First 8 hex digits of the SHA-256 of the design's JSON, without its name, description and
    /// cost section (which do not change accuracy), with the content of any population file it names.
    /// </summary>
    public string Fingerprint()
    {
        var node = JsonSerializer.SerializeToNode(this, Json.Options)!.AsObject();
        foreach (var key in new[] { "cost", "name", "description" }) node.Remove(key);
        // The default solver leaves the fingerprint as it was before solvers were named: cached results stay valid.
        if (Array.Solver == ArraySolver.FirstOrder)
            foreach (var array in new[] { node["array"], node["defaults"]?["array"] }) array?.AsObject()
                .Remove("solver");
        var files = PopulationFiles.Of(Adc);
        foreach (var (key, file) in new[] { ("population_content", files?.File),
            ("local_population_content", files?.Local) })
            if (file is not null && File.Exists(file)) node[key] = IO.RunKey.HashFile(file);
        return Convert.ToHexString(
            System.Security.Cryptography.SHA256.HashData(
            System.Text.Encoding.UTF8.GetBytes(node.ToJsonString(Json.Options))))[..8].ToLowerInvariant();
    }

    static void Merge(JsonObject target, JsonObject patch)
    {
        foreach (var (key, value) in patch)
        {
            // A range is one setting chosen by its mode: an override that names a mode brings its own
            // fields (the defaults' absolute min/max would not apply to a calibrated layer).
            bool whole = key == "range" && value is JsonObject r && r.ContainsKey("mode");
            if (!whole && value is JsonObject po && target[key] is JsonObject to) Merge(to, po);
            else target[key] = value?.DeepClone();
        }
    }
}

/// <summary>Where a design runs operations without static weights (<see cref="HardwareConfig.Attention"/>).</summary>
public enum OpPlacement
{
    /// <summary>In the digital back end beside the cores.</summary>
    Digital,
}
