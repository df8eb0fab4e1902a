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
/// An ADC bank of one programmed layer: turns analog partial sums into the digital back-end's
/// estimate of them (code -> nominal level), in signal units.
/// </summary>
public interface IAdc
{
    int Bits { get; }
    /// <summary>Lowest level and LSB of the nominal (ideal) code-to-level map, in signal units.</summary>
    (double Low, double Lsb) NominalScale { get; }
    /// <summary>Converts <paramref name="signal"/> [T, rows, N*S]; may work in place and return it.</summary>
    Tensor Convert(Tensor signal);
}

public static class AdcFactory
{
    /// <summary>The nominal range of an ADC config for a layer, in signal units: (low, LSB).</summary>
    public static (double Low, double Lsb) NominalScale(AdcConfig cfg, AdcContext ctx)
    {
        double codes = Math.Pow(2, cfg.Bits) - 1;
        switch (cfg.Range.Mode)
        {
            case AdcRangeMode.Exact:
                return (-Math.Pow(2, cfg.Bits - 1), 1.0);
            case AdcRangeMode.Absolute:
                double lo = cfg.Range.Min!.Value / ctx.Unit, hi = cfg.Range.Max!.Value / ctx.Unit;
                return (lo, (hi - lo) / codes);
            default:
                double m = ctx.FullScaleUnits * cfg.Range.Fraction;
                return (-m, 2 * m / codes);
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
        if (lsb == 1.0)
            return q.sub_(low).round_().clamp_(0, top).add_(low);
        return q.sub_(low).mul_(1.0 / lsb).round_().clamp_(0, top).mul_(lsb).add_(low);
    }
}
