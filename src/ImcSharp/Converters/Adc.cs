using ImcSharp.Config;
using TorchSharp;
using static TorchSharp.torch;

namespace ImcSharp.Converters;

/// <summary>
/// What an ADC bank needs to know about the columns it reads: which physical ADC converts each
/// converted column and where the chip's random draws come from.
/// </summary>
/// <param name="InstanceIds">[T, J] index of the physical ADC that converts each converted column (J: signal columns
/// with analog subtraction, physical columns with digital).</param>
/// <param name="Instances">Number of physical ADCs of this layer on the chip.</param>
/// <param name="GlobalSeed">Chip-level seed: global (corner) draws are shared by every layer of a chip.</param>
/// <param name="LocalSeed">Seed of this layer's instances (local mismatch).</param>
/// <param name="Corner">Global corner (index modulo the config's named corners or a population's corners); null draws
/// one from <paramref name="GlobalSeed"/>.</param>
public sealed record AdcContext(Tensor InstanceIds, int Instances, ulong GlobalSeed = 0, ulong LocalSeed = 0,
    int? Corner = null);

/// <summary>
/// The code-to-level map of the ADCs of one weight slice, in signal units: level_k = Low + k Lsb,
/// k = 0 .. 2^N - 1. Low is the level of code 0 (0 for a unipolar range), Lsb the step.
/// </summary>
public sealed record SliceRange(double Low, double Lsb)
{
    public double LowCode => Low / Lsb;
    public double High(int bits) => Low + ((1L << bits) - 1) * Lsb;
}

/// <summary>
/// An ADC bank of one programmed layer. The engine hands it partial sums already expressed in
/// each converted column's LSB (signal units / that column's slice LSB, folded into the
/// programmed cells so no extra pass is spent on scaling); it returns, per element, the nominal
/// level of the code it produced, in the same LSBs: code + <see cref="LowCodes"/>[column].
/// </summary>
public interface IAdc : IDisposable
{
    int Bits { get; }
    /// <summary>Level of code 0 in LSBs per converted column of a tile ([J]), or one value for every column.</summary>
    double[] LowCodes { get; }
    /// <summary>Converts <paramref name="lsbUnits"/> [T, rows, J]; may work in place and return it.</summary>
    Tensor Convert(Tensor lsbUnits);
    /// <summary>Straight-through gradient table of this bank (see <see cref="AdcSlope"/>), computed once.</summary>
    Tensor SlopeTable(AdcGradient mode);
    /// <summary>
    /// Whether every level this bank returns is an integer (nominal levels on integer low codes, no
    /// calibrated back-end): integer-weighted sums of them are then exact (see <see cref="Crossbar.DigitalBackEnd"/>).
    /// </summary>
    bool IntegerLevels => false;
    /// <summary>
    /// (lo, hi) when every column converts as code = min(max(floor(x + 0.5), lo), hi), the ideal
    /// ADC on one integer low code, so a kernel may convert as it reads (see <see cref="Crossbar.DigitalBackEnd"/>);
    /// else null.
    /// </summary>
    (float Low, float High)? UniformRounding => null;
}

public static class AdcScales
{
    /// <summary>
    /// The code-to-level map of each weight slice for an ADC config, in signal units, when the range
    /// is not calibrated (or not yet). Analog subtraction (a signed sum): auto and exact ranges are
    /// mid-tread with a zero level at code 2^(N-1): auto has LSB = fraction x full scale / 2^(N-1),
    /// levels spanning [-FS f, FS f - LSB]; exact has LSB = 1. Digital subtraction (an unsigned sum):
    /// code 0 at zero, auto LSB = fraction x full scale / (2^N - 1), exact LSB = 1. Absolute spans
    /// [min, max] (physical units / <paramref name="unit"/>) in 2^N - 1 LSBs.
    /// </summary>
    /// <param name="unit">Physical value of one signal unit (A or V).</param>
    /// <param name="fullScaleUnits">Largest |partial sum| of one column, in signal units.</param>
    public static SliceRange Default(AdcConfig cfg, Subtraction subtract, double unit, double fullScaleUnits)
    {
        double half = Math.Pow(2, cfg.Bits - 1), top = 2 * half - 1;
        bool unipolar = subtract == Subtraction.Digital;
        switch (cfg.Range.Mode)
        {
            case AdcRangeMode.Exact:
                return new SliceRange(unipolar ? 0 : -half, 1.0);
            case AdcRangeMode.Absolute:
                double lo = cfg.Range.Min!.Value / unit, hi = cfg.Range.Max!.Value / unit;
                return new SliceRange(lo, (hi - lo) / top);
            case AdcRangeMode.Native:
                var (min, max) = NativeRange(cfg);
                return new SliceRange(min / unit, (max - min) / unit / top);
            default:
                double span = fullScaleUnits * cfg.Range.Fraction;
                return unipolar ? new SliceRange(0, span / top) : new SliceRange(-span, span / half);
        }
    }

    /// <summary>
    /// The converter's own physical input range (A or V): an oscillator's [0, full scale], a population's measured
    /// range.
    /// </summary>
    public static (double Min, double Max) NativeRange(AdcConfig cfg)
    {
        var info = AdcArchitecture.Of(cfg).Physical(cfg)
            ?? throw new ImcInputException($"adc.kind {cfg.Kind}: has no physical input range of its own");
        return (info.InputMin, info.InputMax);
    }

    /// <summary>
    /// The range of N-bit ADCs for calibration sums <paramref name="sums"/> (1-D, signal units) of
    /// one slice. Unipolar: [0, top]; signed: symmetric around zero (a zero level at code 2^(N-1)),
    /// or asymmetric. Percentile: top = P_q(|sum|). Mse: the candidate range minimising
    /// mean((Q(sum) - sum)^2), Q the ideal quantizer on that range, over tops at quantiles 50..100
    /// of |sum| (and lows at quantiles 0..50 of the sum when asymmetric).
    /// </summary>
    public static SliceRange Calibrate(Tensor sums, AdcRange range, int bits, bool unipolar)
    {
        using var scope = NewDisposeScope();
        double half = Math.Pow(2, bits - 1), top = 2 * half - 1;
        var x = sums.to_type(ScalarType.Float64).flatten();
        var mag = unipolar ? x.clamp_min(0) : x.abs();
        SliceRange Symmetric(double hi) => unipolar ? new SliceRange(0, hi / top) : new SliceRange(-hi, hi / half);
        if (range.Method == RangeMethod.Percentile)
            return Symmetric(Math.Max(mag.kthvalue(Rank(mag.numel(), range.Percentile / 100), 0).values.item<double>(),
                1e-9));
        // The search reads many quantiles: the order statistics of a list sorted once (kthvalue made a pass each).
        var sortedMag = mag.sort().Values;
        // Quantiles crowd towards the top, where clipping trades against resolution.
        double[] Quantiles(double perHalving) =>
            Enumerable.Range(0, (int)(10 * perHalving) + 1).Select(i => 1 - Math.Pow(0.5, i / perHalving)).Append(1.0)
            .Where(q => q >= 0.5).ToArray();
        var tops = Quantiles(6).Select(q => Math.Max(Quantile(sortedMag, q), 1e-9)).Distinct().ToArray();
        // The symmetric (or unipolar) ranges are candidates in every search: an asymmetric range is never worse.
        var candidates = tops.Select(Symmetric).ToList();
        if (range.Asymmetric && !unipolar)
        {
            var qs = Quantiles(3);
            var sortedX = x.sort().Values;
            var highs = qs.Select(q => Quantile(sortedX, q)).Where(v => v > 0).Distinct().ToArray();
            var lows = qs.Select(q => Quantile(sortedX, 1 - q)).Where(v => v < 0).Append(0.0).Distinct().ToArray();
            foreach (var hi in highs)
            foreach (var lo in lows)
            {
                double lsb = (hi - lo) / top;
                candidates.Add(new SliceRange(Math.Round(lo / lsb) * lsb, lsb));
            }
        }
        // The error of each candidate through the ideal quantizer of that range.
        double Error(SliceRange c)
        {
            using var step = NewDisposeScope();
            using var q = new IdealAdc(bits, new[] { c.LowCode });
            return q.Convert(x.div(c.Lsb)).mul_(c.Lsb).sub_(x).pow_(2).mean().item<double>();
        }
        return candidates.MinBy(Error)!;
    }

    /// <summary>
    /// The rank k = ceil(q n), at least 1, of quantile <paramref name="q"/> among <paramref name="n"/> values.
    /// </summary>
    static long Rank(long n, double q) => Math.Clamp((long)Math.Ceiling(q * n), 1, n);

    /// <summary>The k-th smallest of sorted values (k = <see cref="Rank"/>): what kthvalue(k) gives.</summary>
    static double Quantile(Tensor sorted, double q) => sorted[Rank(sorted.numel(), q) - 1].item<double>();
}

/// <summary>
/// Ideal uniform quantizer with clipping: code = clamp(floor(q - low + 1/2), 0, 2^N - 1) (q and low
/// in LSBs), output = low + code (mid-tread; transitions halfway between levels; a value exactly
/// on a transition takes the upper code, as in the threshold-table ADCs).
/// </summary>
public sealed class IdealAdc : IAdc
{
    public int Bits { get; }
    public double[] LowCodes { get; }
    readonly Tensor? _lowColumns;   // [J] when the columns' low codes differ
    readonly bool _kernels;

    /// <param name="target">Where the codes live and whether the CPU kernel may round them (default: the CPU, with
    /// kernels).</param>
    public IdealAdc(int bits, double[] lowCodes, ComputeTarget? target = null)
    {
        Bits = bits;
        LowCodes = lowCodes;
        _kernels = (target ?? ComputeTarget.Cpu).Kernels;
        if (lowCodes.Distinct().Count() > 1)
            _lowColumns =
                tensor(lowCodes.Select(v => (float)v).ToArray(), device: target?.Device).DetachFromDisposeScope();
    }

    readonly Dictionary<AdcGradient, Tensor> _slopes = new();

    public Tensor SlopeTable(AdcGradient mode)
    {
        lock (_slopes)
            return _slopes.TryGetValue(mode, out var t) ? t : _slopes[mode] = AdcSlope.Table(Bits, mode);
    }

    /// <summary>
    /// The one low code of every column when it is an integer (within 1e-9, then taken as that integer: auto, exact and
    /// unipolar ranges); else null.
    /// </summary>
    double? IntegerLowCode =>
        _lowColumns is null && Math.Abs(LowCodes[0] - Math.Round(LowCodes[0])) < 1e-9 ? Math.Round(LowCodes[0]) : null;

    public (float Low, float High)? UniformRounding =>
        IntegerLowCode is { } low ? ((float)low, (float)(low + Math.Pow(2, Bits) - 1)) : null;

    /// <summary>Integer low codes give integer levels.</summary>
    public bool IntegerLevels =>
        _lowColumns is null ? IntegerLowCode is not null : LowCodes.All(v => (float)v == Math.Round(v));

    public void Dispose()
    {
        _lowColumns?.Dispose();
        foreach (var t in _slopes.Values) t.Dispose();
        _slopes.Clear();
    }

    public Tensor Convert(Tensor q)
    {
        double top = Math.Pow(2, Bits) - 1;
        if (_lowColumns is { } low) return q.sub_(low - 0.5).floor_().clamp_(0, top).add_(low);
        // Code 0 on an integer: round half up, then clip to the code range.
        if (IntegerLowCode is { } integer)
            return _kernels && DenseKernel.Applies(q)
                ? RoundClampKernel.ConvertInPlace(q, (float)integer, (float)(integer + top))
                : q.add_(0.5).floor_().clamp_(integer, integer + top);
        double lowCode = LowCodes[0];
        return q.sub_(lowCode - 0.5).floor_().clamp_(0, top).add_(lowCode);
    }
}
