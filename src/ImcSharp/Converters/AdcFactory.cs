using ImcSharp.Config;
using TorchSharp;
using static TorchSharp.torch;

namespace ImcSharp.Converters;

/// <summary>
/// Builds a chip's ADC bank from its config: the thresholds of every instance (drawn from the
/// architecture, or taken from a population file), the calibration, the bank that converts.
/// </summary>
public static class AdcFactory
{
    // Loaded populations by full path, with the file's write time and length when read: a file written again is read
    // again.
    static readonly Dictionary<string, (DateTime Written, long Length, AdcPopulation Population)> PopulationCache =
        new();

    /// <summary>
    /// The ADC bank of one layer on one chip; <paramref name="lowCodes"/> places each converted
    /// column's code 0 (see <see cref="IAdc.LowCodes"/>). Circuit models draw the chip's global part
    /// from <see cref="AdcContext.GlobalSeed"/> (same for every layer of the chip), or take the
    /// config's named corner, and each instance's local part from <see cref="AdcContext.LocalSeed"/>.
    /// A population file supplies measured or simulated instances: the chip takes one corner
    /// (global) and draws its instances from it (local); the config's variation then applies on top.
    /// Drawn on the CPU, then held on <paramref name="target"/>'s device (default: the CPU, kernels on).
    /// </summary>
    public static IAdc Build(AdcConfig cfg, AdcContext ctx, double[] lowCodes, ComputeTarget? target = null)
    {
        target ??= ComputeTarget.Cpu;
        if (cfg.Kind == IdealArchitecture.Name && cfg.Variation.NoiseSigma == 0
            && cfg.Corners.Count == 0) return new IdealAdc(cfg.Bits, lowCodes, target);
        using var scope = NewDisposeScope();
        using var global = new Generator(ctx.GlobalSeed);
        using var local = new Generator(ctx.LocalSeed);
        var thresholds = AdcArchitecture.Thresholds(cfg, ctx.Instances, global, local, ctx.Corner);
        var levels = cfg.Calibration == CalibrationKind.None ? null : Calibration.Levels(thresholds, cfg.Calibration);
        return new ThresholdAdc(cfg.Bits, lowCodes, thresholds, levels, ctx.InstanceIds, cfg.Variation.NoiseSigma,
            Seeds.ConversionNoise(ctx.LocalSeed), target);
    }

    /// <summary>
    /// Names of the global corners chips of this config are grouped in (named corners, a population's), or null for
    /// random draws.
    /// </summary>
    public static string[]? CornerNames(AdcConfig cfg) =>
        cfg.Corners.Count > 0 ? cfg.Corners.Select(c => c.Name).ToArray()
        : AdcArchitecture.Of(cfg).CornerNames(cfg);

    public static AdcPopulation LoadPopulation(string path)
    {
        var full = Path.GetFullPath(path);
        lock (PopulationCache)
        {
            var info = new FileInfo(full);
            var stamp = info.Exists ? (info.LastWriteTimeUtc, info.Length) : (DateTime.MinValue, -1L);
            if (PopulationCache.TryGetValue(full, out var cached)
                && (cached.Written, cached.Length) == stamp) return cached.Population;
            // The replaced population is not disposed here: a caller may still hold it (it is freed with its last
            // reference).
            var pop = PopulationFile.Load(full);
            PopulationCache[full] = (stamp.Item1, stamp.Item2, pop);
            return pop;
        }
    }
}
