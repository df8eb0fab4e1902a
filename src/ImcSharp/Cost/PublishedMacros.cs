using ImcSharp.Config;

namespace ImcSharp.Cost;

/// <summary>
/// A published IMC macro or accelerator and its figures: TOPS/W (2 operations per MAC at its precision) and, where
/// published, TOPS/mm^2. <paramref name="Config"/> names its design in configs/published (embedded), whose
/// description states every assumption the publication's abstract does not settle. <paramref name="Scope"/>:
/// "macro" (arrays, drivers/DACs, ADCs, calibration, shift-and-add; area without buffers) or "system" (also tile
/// accumulation and buffers).
/// </summary>
public sealed record PublishedMacro(string Name, string Source, string Config, string Scope, double TopsPerW,
    double? TopsPerMm2);

/// <summary>The model against a published macro at its peak: one full-array matrix-vector product.</summary>
public sealed record MacroCheck(PublishedMacro Published, string Workload, double ModelTopsPerW, double TopsPerWError,
    double ModelTopsPerMm2, double? TopsPerMm2Error, NetworkCost Cost);

/// <summary>
/// Whole-core figures against published IMC designs. The workload is a peak one, as the publications quote: a layer
/// of K = rows inputs and as many outputs as one array holds (its signal columns over the weight slices), so every
/// cell of the array is used, one input vector; TOPS/W = 2 K N / E (E: the scope's energy), TOPS/mm^2 = 2 K N /
/// (latency x area).
/// </summary>
public static class PublishedMacros
{
    public static readonly PublishedMacro[] All =
    {
        new("puma", "Ankit et al., PUMA, ASPLOS 2019 (arXiv 1901.10351): 837 GOPS/s/W, 577 GOPS/s/mm2 at 1 GHz, 16-bit",
            "puma", "system", 0.837, 0.577),
        new("mc2-ram", "Chen et al., MC2-RAM, 8T1C charge-domain SRAM macro, 65 nm (post-layout): 59.7 TOPS/W, " +
            "4.60 TOPS/mm2 at 4b/4b", "mc2-ram", "macro", 59.7, 4.60),
        new("bscha-65nm", "Reconfigurable SRAM CIM macro with charge-sharing accumulator, 65 nm (arXiv 2605.30814): " +
            "8.4 TOPS/W, 0.014 TOPS/mm2 at 7b inputs / 4b weights / 7b outputs", "bscha-65nm", "macro", 8.4, 0.014),
    };

    /// <summary>The embedded design of a published macro.</summary>
    public static HardwareConfig Design(string config)
    {
        var name = $"ImcSharp.Cost.published.{config}.json";
        using var stream = typeof(PublishedMacros).Assembly.GetManifestResourceStream(name)
            ?? throw new InvalidOperationException($"{name} is not embedded in ImcSharp");
        using var reader = new StreamReader(stream);
        return HardwareConfig.Parse(reader.ReadToEnd(), $"configs/published/{config}.json");
    }

    public static List<MacroCheck> Check() => All.Select(m =>
    {
        var hw = Design(m.Config);
        var core = hw.Core;
        long k = core.Rows, n = Math.Max(1, core.SignalColumnsPerArray / core.Slices);
        var cost = CoreCostModel.Price(m.Name, new[] { new LayerShape("peak", k, n, 1) }, hw);
        bool system = m.Scope == "system";
        double energy = system ? cost.EnergyPerInferenceJ : cost.Energy.Core;
        double area = system ? cost.AreaMm2 : cost.AreaMm2 - cost.Area.Buffers;
        double ops = 2.0 * k * n;
        double topsPerW = ops / energy / 1e12, topsPerMm2 = ops / cost.LatencyS / area / 1e12;
        return new MacroCheck(m, $"{k} x {n} MVM, one vector", topsPerW, topsPerW / m.TopsPerW - 1, topsPerMm2,
            m.TopsPerMm2 is { } a ? topsPerMm2 / a - 1 : null, cost);
    }).ToList();
}
