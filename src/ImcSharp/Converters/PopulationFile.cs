using System.Text.Json;
using ImcSharp.IO;
using TorchSharp;
using static TorchSharp.torch;

namespace ImcSharp.Converters;

/// <summary>
/// A reusable ADC population on disk (JSON): bits, corner names, and per instance its corner and
/// its 2^N - 1 thresholds in LSBs: "Infinity" for a code never reached, "-Infinity" for a code
/// already produced at the lowest input (null, in older files, reads as never reached). Written by
/// `imc adc import`, read by a hardware config with adc.kind = population.
/// </summary>
public static class PopulationFile
{
    public sealed record InstanceRecord(int Corner, double?[] Thresholds);
    public sealed record Document(int Bits, string[] Corners, string Source, List<InstanceRecord> Instances,
        string? Units = null, double? InputMin = null, double? InputMax = null, string? Conversion = null,
            string? Rounding = null, string? Direction = null,
        string? Checksum = null);

    static readonly JsonSerializerOptions Canonical = new(Json.StrictData) { WriteIndented = false };

    /// <summary>
    /// "sha256:" and the hash of the document's compact JSON without its checksum: a changed threshold or corner is
    /// caught on load.
    /// </summary>
    static string ChecksumOf(Document doc) =>
        "sha256:" + Convert.ToHexString(
            System.Security.Cryptography.SHA256.HashData(
            JsonSerializer.SerializeToUtf8Bytes(doc with { Checksum = null }, Canonical))).ToLowerInvariant();

    public static void Save(string path, AdcPopulation pop, string source)
    {
        var t = pop.Thresholds.data<double>().ToArray();
        long m = pop.Thresholds.size(1);
        var instances = Enumerable.Range(0, pop.Instances).Select(i => new InstanceRecord(pop.Corner[i],
            Enumerable.Range(0, (int)m).Select(k => (double?)t[i * m + k]).ToArray())).ToList();
        var i = pop.Info;
        var doc = new Document(pop.Bits, pop.CornerNames, source, instances, i?.Units, i?.InputMin, i?.InputMax,
            i?.Conversion, i?.Rounding, i?.Direction);
        Json.WriteFile(path, doc with { Checksum = ChecksumOf(doc) });
    }

    public static AdcPopulation Load(string path)
    {
        var doc = Json.ReadFile<Document>(path, Json.StrictData, "population file");
        // Files without a checksum (written before it existed, or by hand) are read as they are.
        if (doc.Checksum is { } sum && sum != ChecksumOf(doc))
            throw new ImcInputException(
                $"{path}: checksum mismatch: the population was changed or damaged after it was written " +
                $"(stored {sum}, content gives {ChecksumOf(doc)})");
        if (doc.Bits < 1 || doc.Bits > 16) throw new ImcInputException($"{path}: bits = {doc.Bits}: expected 1..16");
        if (doc.Instances is null
            || doc.Instances.Count == 0) throw new ImcInputException(
            $"{path}: instances: expected at least one instance");
        long m = (1L << doc.Bits) - 1;
        var data = new double[doc.Instances.Count * m];
        for (int i = 0; i < doc.Instances.Count; i++)
        {
            var th = doc.Instances[i].Thresholds;
            if (th is null || th.Length != m)
                throw new ImcInputException(
                    $"{path}: instances[{i}].thresholds: expected {m} values for {doc.Bits} bits, " +
                    $"found {th?.Length ?? 0}");
            if (doc.Instances[i].Corner < 0 || doc.Instances[i].Corner >= Math.Max(1, doc.Corners?.Length ?? 1))
                throw new ImcInputException(
                    $"{path}: instances[{i}].corner = {doc.Instances[i].Corner}: expected an index into corners");
            for (int k = 0; k < m; k++)
            {
                data[i * m + k] = th[k] ?? double.PositiveInfinity;
                if (double.IsNaN(data[i * m + k])) throw new ImcInputException(
                    $"{path}: instances[{i}].thresholds[{k}] is NaN: expected a number, Infinity or -Infinity");
            }
        }
        if (doc.Corners is { Length: > 0 } names && names.Distinct().Count() != names.Length)
            throw new ImcInputException($"{path}: corners: names must be distinct, found {string.Join(", ", names)}");
        if (doc.InputMin is { } a && doc.InputMax is { } b && !(b > a))
            throw new ImcInputException(
                $"{path}: input_max = {b}: must exceed input_min ({a}): the measured input range is the ADC's full " +
                "scale");
        if ((doc.InputMin is null) != (doc.InputMax is null))
            throw new ImcInputException(
                $"{path}: {(doc.InputMin is null ? "input_max" : "input_min")}: given " +
                $"without {(doc.InputMin is null ? "input_min" : "input_max")}: expected both or neither");
        var info = doc.InputMin is { } lo && doc.InputMax is { } hi
            ? new PopulationInfo(doc.Units, lo, hi, doc.Conversion ?? "code", doc.Rounding ?? "nearest", doc.Direction
                ?? "increasing") : null;
        // A file names the corners its instances use: one corner stays one corner.
        return new AdcPopulation(doc.Bits, tensor(data).view(doc.Instances.Count, m),
            doc.Instances.Select(x => x.Corner).ToArray(), doc.Corners is { Length: > 0 } c ? c
                : new[] { "nominal" }) { Info = info };
    }
}
