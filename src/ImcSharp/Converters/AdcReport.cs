using System.Text.Json;
using System.Text.Json.Nodes;
using ImcSharp.Config;
using ImcSharp.IO;
using TorchSharp;
using static TorchSharp.torch;

namespace ImcSharp.Converters;

/// <summary>
/// Linearity statistics of a population, as `imc adc show --json` writes them. INL is given both
/// against the end-point line (<see cref="InlMaxAbsLsb"/>) and the best-fit line; DNL per IEEE 1241
/// (code widths over the mean inner width). Worst values are over all instances and codes.
/// </summary>
public sealed record AdcReport(
    string Name, string Kind, int Bits, int Instances, int Corners,
    double InlMaxAbsLsb, double InlBestFitMaxAbsLsb, double DnlMaxAbsLsb, long MissingCodes,
    MetricStats OffsetErrorLsb, MetricStats GainError, MetricStats Enob, MetricStats InlMaxAbsPerInstance,
        MetricStats DnlMaxAbsPerInstance,
    string InlDefinition, CalibrationCost? Calibration, long UnreachedCodes = 0, long CodesAtLowestInput = 0)
{
    public static AdcReport Of(string name, string kind, AdcPopulation pop, Linearity lin,
        CalibrationCost? calibration = null) => new(
        name, kind, pop.Bits, pop.Instances, pop.CornerNames.Length,
        lin.InlEndPoint.abs().max().item<double>(), lin.InlBestFit.abs().max().item<double>(),
            lin.Dnl.abs().max().item<double>(),
        lin.MissingCodes.sum().item<long>(),
        Characterization.Stats(lin.OffsetError), Characterization.Stats(lin.GainError),
            Characterization.Stats(lin.Enob),
        Characterization.Stats(lin.InlEndPoint.abs().amax(new long[] { 1 })),
            Characterization.Stats(lin.Dnl.abs().amax(new long[] { 1 })),
        "inl_max_abs_lsb: end-point line through the first and last reachable transitions; inl_best_fit_max_abs_lsb: " +
            "least-squares line; " +
        "transitions never reached (unreached_codes) or already passed at the lowest input (codes_at_lowest_input) " +
            "are counted, not measured",
        calibration, lin.UnreachedCodes.sum().item<long>(), lin.CodesAtLowest.sum().item<long>());
}

/// <summary>Reads an ADC config file: either an ADC record, or a hardware config whose "adc" is used.</summary>
public static class AdcConfigFile
{
    public static (string Name, AdcConfig Config) Load(string path)
    {
        if (!File.Exists(path)) throw new ImcInputException($"{path}: ADC config not found");
        try
        {
            var json = File.ReadAllText(path);
            Json.RejectNullElements(json, path);
            var node = JsonNode.Parse(json) as JsonObject
                ?? throw new ImcInputException($"{path}: expected a JSON object");
            string name = node["name"] switch
            {
                null => Path.GetFileNameWithoutExtension(path),
                JsonValue v when v.TryGetValue<string>(out var text) && text.Length > 0 => text,
                _ => throw new ImcInputException($"{path}: name: expected a non-empty string"),
            };
            node.Remove("name");
            node.Remove("description");
            var adcNode = node["adc"] is JsonObject inner ? inner : node;
            var cfg = adcNode.Deserialize<AdcConfig>(Json.Strict)
                ?? throw new ImcInputException($"{path}: empty ADC config");
            cfg = PopulationFiles.RelativeTo(cfg, path);
            var e = new ConfigErrors();
            cfg.Validate(e, node["adc"] is JsonObject ? "adc." : "");
            e.ThrowIfAny(path);
            return (name, cfg);
        }
        catch (JsonException e)
        {
            throw Json.InputError(e, path);
        }
    }
}
