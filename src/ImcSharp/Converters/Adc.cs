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
public sealed record AdcContext(double Unit, string Quantity, double FullScaleUnits, Tensor InstanceIds, int Instances);

/// <summary>
/// An ADC bank of one programmed layer. The engine hands it partial sums already expressed in
/// its nominal LSB (signal units / <see cref="NominalScale"/>.Lsb, folded into the programmed
/// cells so no extra pass is spent on scaling); it returns, per element, the nominal level of the
/// code it produced, also in LSBs. The engine multiplies by the LSB after the shift-and-add.
/// </summary>
public interface IAdc
{
    int Bits { get; }
    /// <summary>Lowest level and LSB of the nominal (ideal) code-to-level map, in signal units.</summary>
    (double Low, double Lsb) NominalScale { get; }
    /// <summary>Converts <paramref name="lsbUnits"/> [T, rows, N*S]; may work in place and return it.</summary>
    Tensor Convert(Tensor lsbUnits);
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

    public static IAdc Build(AdcConfig cfg, AdcContext ctx, Generator gen) => cfg.Kind switch
    {
        AdcKind.Ideal => new IdealAdc(cfg.Bits, NominalScale(cfg, ctx)),
        _ => throw new ImcInputException($"adc.kind '{cfg.Kind}' is not supported"),
    };
}

/// <summary>
/// Ideal uniform quantizer with clipping: code = clamp(round((q - low)/LSB), 0, 2^N - 1),
/// output = low + code * LSB (mid-tread; thresholds halfway between levels).
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

    public Tensor Convert(Tensor q)
    {
        var (low, lsb) = NominalScale;
        double top = Math.Pow(2, Bits) - 1;
        double lowCode = low / lsb;
        // Mid-tread with a zero level (auto and exact ranges): round, then clip to the code range.
        if (Math.Abs(lowCode - Math.Round(lowCode)) < 1e-9)
            return q.round_().clamp_(Math.Round(lowCode), Math.Round(lowCode) + top);
        return q.sub_(lowCode).round_().clamp_(0, top).add_(lowCode);
    }
}
