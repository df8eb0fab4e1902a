using TorchSharp;
using static TorchSharp.torch;

namespace ImcSharp.Converters;

/// <summary>The straight-through estimator used for an ADC in the backward pass.</summary>
public enum AdcGradient
{
    /// <summary>d code / d input = 1 inside the ADC's input range, 0 outside (clipped values get no gradient).</summary>
    Identity,
    /// <summary>The local slope of the population's mean transfer curve (codes per LSB), 0 outside the range.</summary>
    MeanSlope,
}

/// <summary>
/// Slope tables for the ADC's straight-through estimator, on the unipolar LSB grid
/// u_j = j - 1 (j = 0 .. 2^N + 1; u = input / LSB - low code): entry j is the gradient for
/// inputs that round to u_j. Both end entries are 0 (outside the range).
/// Identity: 1 for 0 &lt;= u_j &lt;= 2^N - 1. Mean slope: s_j = (c(u_j + h) - c(u_j - h)) / 2h with
/// c(u) the mean over instances of code(u) = #(thresholds &lt;= u) and h = 2 LSB, which smooths
/// the per-code DNL into the curve's local gain (compressive curves get slopes below 1).
/// </summary>
public static class AdcSlope
{
    const double Half = 2.0;

    public static Tensor Table(int bits, AdcGradient mode, Tensor? sortedThresholds = null)
    {
        using var scope = NewDisposeScope();
        long codes = 1L << bits;
        var u = arange(-1, codes + 1, ScalarType.Float64);
        Tensor table;
        if (mode == AdcGradient.Identity)
        {
            table = u.ge(0).logical_and(u.le(codes - 1)).to_type(ScalarType.Float64);
        }
        else
        {
            var t = sortedThresholds ?? AdcModels.Ideal(bits).unsqueeze(0);
            Tensor MeanCode(Tensor at) =>
                searchsorted(t.contiguous(), at.unsqueeze(0).expand(t.shape[0], -1).contiguous(), right: true).to_type(ScalarType.Float64).mean(new long[] { 0 });
            table = (MeanCode(u + Half) - MeanCode(u - Half)) / (2 * Half);
            table[0] = 0;
            table[-1] = 0;
        }
        return table.to_type(ScalarType.Float32).DetachFromDisposeScope();
    }

    /// <summary>
    /// Gradient gate for values <paramref name="lsbUnits"/> [.., J] (column LSBs) of ADCs whose code 0
    /// sits at <paramref name="lowCodes"/> (per column of the last axis, or one for all).
    /// </summary>
    public static Tensor Lookup(Tensor table, Tensor lsbUnits, double[] lowCodes)
    {
        long last = table.shape[0] - 1;
        var shifted = lowCodes.Distinct().Count() == 1 ? lsbUnits.sub(lowCodes[0] - 1)
            : lsbUnits.sub(tensor(lowCodes.Select(v => (float)(v - 1)).ToArray(), device: lsbUnits.device));
        return table.to(lsbUnits.device).take(shifted.round_().clamp_(0, last).to_type(ScalarType.Int64));
    }
}
