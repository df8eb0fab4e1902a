using ImcSharp.Config;
using TorchSharp;
using static TorchSharp.torch;

namespace ImcSharp.Converters;

/// <summary>
/// What an ADC bank needs to know about the columns it reads. Signals reach it in the
/// simulator's signal units (one unit = input digit 1 x weight digit 1 in an ideal array);
/// <see cref="Unit"/> converts to the physical quantity the ADC really sees (A or V).
/// </summary>
/// <param name="Unit">Physical value of one signal unit (A in current mode, V in charge mode).</param>
/// <param name="Quantity">"A" or "V".</param>
/// <param name="FullScaleUnits">Largest |partial sum| one column of the array can produce, in signal units.</param>
/// <param name="InstanceIds">[T, N*S] index of the physical ADC that converts each signal column.</param>
/// <param name="Instances">Number of physical ADCs of this layer on the chip.</param>
/// <param name="GlobalSeed">Chip-level seed: global (corner) draws are shared by every layer of a chip.</param>
/// <param name="LocalSeed">Seed of this layer's instances (local mismatch).</param>
/// <param name="Corner">Global corner to use from a population file (index modulo its corners); null draws one from <paramref name="GlobalSeed"/>.</param>
public sealed record AdcContext(double Unit, string Quantity, double FullScaleUnits, Tensor InstanceIds, int Instances, ulong GlobalSeed = 0, ulong LocalSeed = 0, int? Corner = null);

/// <summary>
/// An ADC bank of one programmed layer. The engine hands it partial sums already expressed in
/// its nominal LSB (signal units / <see cref="NominalScale"/>.Lsb, folded into the programmed
/// cells so no extra pass is spent on scaling); it returns, per element, the nominal level of the
/// code it produced, also in LSBs. The engine multiplies by the LSB after the shift-and-add.
/// </summary>
public interface IAdc : IDisposable
{
    int Bits { get; }
    /// <summary>Lowest level and LSB of the nominal (ideal) code-to-level map, in signal units.</summary>
    (double Low, double Lsb) NominalScale { get; }
    /// <summary>Converts <paramref name="lsbUnits"/> [T, rows, N*S]; may work in place and return it.</summary>
    Tensor Convert(Tensor lsbUnits);
    /// <summary>Straight-through gradient table of this bank (see <see cref="AdcSlope"/>), computed once.</summary>
    Tensor SlopeTable(AdcGradient mode);
}

public static class AdcFactory
{
    /// <summary>
    /// The nominal code-to-level map of an ADC config for a layer, in signal units: level_k =
    /// Low + k LSB, k = 0 .. 2^N - 1. Auto and exact ranges are mid-tread with a zero level at code
    /// 2^(N-1): auto has LSB = fraction * full scale / 2^(N-1), so levels span
    /// [-FS f, FS f - LSB]; exact has LSB = 1. Absolute spans [min, max] with (2^N - 1) LSBs.
    /// </summary>
    public static (double Low, double Lsb) NominalScale(AdcConfig cfg, AdcContext ctx)
    {
        double half = Math.Pow(2, cfg.Bits - 1);
        switch (cfg.Range.Mode)
        {
            case AdcRangeMode.Exact:
                return (-half, 1.0);
            case AdcRangeMode.Absolute:
                double lo = cfg.Range.Min!.Value / ctx.Unit, hi = cfg.Range.Max!.Value / ctx.Unit;
                return (lo, (hi - lo) / (2 * half - 1));
            default:
                double lsb = ctx.FullScaleUnits * cfg.Range.Fraction / half;
                return (-half * lsb, lsb);
        }
    }

    static readonly Dictionary<string, AdcPopulation> PopulationCache = new();

    /// <summary>
    /// The ADC bank of one layer on one chip. Circuit models draw the chip's global part from
    /// <see cref="AdcContext.GlobalSeed"/> (same for every layer of the chip) and each instance's
    /// local part from <see cref="AdcContext.LocalSeed"/>. A population file supplies measured or
    /// simulated instances: the chip takes one corner (global) and draws its instances from it (local).
    /// </summary>
    public static IAdc Build(AdcConfig cfg, AdcContext ctx)
    {
        var scale = NominalScale(cfg, ctx);
        if (cfg.Kind == AdcKind.Ideal && cfg.Variation.NoiseSigma == 0) return new IdealAdc(cfg.Bits, scale);
        using var scope = NewDisposeScope();
        using var global = new Generator(ctx.GlobalSeed);
        using var local = new Generator(ctx.LocalSeed);
        Tensor thresholds;
        if (cfg.Kind == AdcKind.Population)
        {
            var pop = LoadPopulation(cfg.Population!);
            if (pop.Bits != cfg.Bits) throw new ImcInputException($"{cfg.Population}: population has {pop.Bits} bits but adc.bits = {cfg.Bits}");
            int corners = pop.CornerNames.Length;
            int corner = ctx.Corner is int c ? c % corners : (int)randint(0, corners, new long[] { 1 }, generator: global).item<long>();
            var members = tensor(Enumerable.Range(0, pop.Instances).Where(i => pop.Corner[i] == corner).Select(i => (long)i).ToArray());
            if (members.numel() == 0) members = arange(pop.Instances, ScalarType.Int64);
            var pick = members.index_select(0, randint(0, members.numel(), new long[] { ctx.Instances }, generator: local));
            thresholds = pop.Thresholds.index_select(0, pick);
        }
        else
        {
            thresholds = AdcModels.Thresholds(cfg, ctx.Instances, global, local);
        }
        var levels = cfg.Calibration == CalibrationKind.None ? null : Calibration.Levels(thresholds, cfg.Calibration);
        return new ThresholdAdc(cfg.Bits, scale, thresholds, levels, ctx.InstanceIds, cfg.Variation.NoiseSigma, ctx.LocalSeed ^ 0xD1B54A32D192ED03UL);
    }

    public static AdcPopulation LoadPopulation(string path)
    {
        var full = Path.GetFullPath(path);
        lock (PopulationCache)
        {
            if (!PopulationCache.TryGetValue(full, out var pop))
                PopulationCache[full] = pop = PopulationFile.Load(full);
            return pop;
        }
    }
}

/// <summary>
/// Ideal uniform quantizer with clipping: code = clamp(floor((q - low)/LSB + 1/2), 0, 2^N - 1),
/// output = low + code * LSB (mid-tread; transitions halfway between levels; a value exactly on a
/// transition takes the upper code, as in the threshold-table ADCs).
/// </summary>
public sealed class IdealAdc : IAdc
{
    public int Bits { get; }
    public (double Low, double Lsb) NominalScale { get; }

    public IdealAdc(int bits, (double Low, double Lsb) scale)
    {
        Bits = bits;
        NominalScale = scale;
    }

    readonly Dictionary<AdcGradient, Tensor> _slopes = new();

    public Tensor SlopeTable(AdcGradient mode)
    {
        lock (_slopes)
            return _slopes.TryGetValue(mode, out var t) ? t : _slopes[mode] = AdcSlope.Table(Bits, mode);
    }

    public void Dispose()
    {
        foreach (var t in _slopes.Values) t.Dispose();
        _slopes.Clear();
    }

    public Tensor Convert(Tensor q)
    {
        var (low, lsb) = NominalScale;
        double top = Math.Pow(2, Bits) - 1;
        double lowCode = low / lsb;
        // Mid-tread with a zero level (auto and exact ranges): round half up, then clip to the code range.
        if (Math.Abs(lowCode - Math.Round(lowCode)) < 1e-9)
            return q.add_(0.5).floor_().clamp_(Math.Round(lowCode), Math.Round(lowCode) + top);
        return q.sub_(lowCode - 0.5).floor_().clamp_(0, top).add_(lowCode);
    }
}
