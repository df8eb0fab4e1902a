using ImcSharp.Config;
using TorchSharp;
using static TorchSharp.torch;

namespace ImcSharp.Converters;

/// <summary>What a calibration scheme costs per ADC, for the energy and area model.</summary>
/// <param name="StorageBitsPerAdc">Trim coefficients or LUT entries stored per ADC.</param>
/// <param name="ExtraBits">Extra resolution the corrected output carries.</param>
/// <param name="OpsPerConversion">Digital operations per conversion (multiply, add, lookup).</param>
public sealed record CalibrationCost(string Kind, long StorageBitsPerAdc, int ExtraBits, int OpsPerConversion,
    string Description);

/// <summary>
/// Digital correction of measured ADCs: maps each code to the input it most likely came from.
/// Two-point: per column, offset and gain from the first and last transitions (T_first, T_last),
/// level(k) = T_first + (k - k_first + 1/2) g with g = (T_last - T_first)/(k_last - k_first).
/// LUT: per column, level(k) = midpoint of the code's measured interval [T_k, T_k+1]
/// (end codes one LSB wide). Both work on thresholds measured by the code-density test.
/// </summary>
public static class Calibration
{
    /// <summary>Calibrated levels [instances, 2^N] (unipolar LSB) from thresholds [instances, 2^N - 1].</summary>
    public static Tensor Levels(Tensor thresholds, CalibrationKind kind)
    {
        using var scope = NewDisposeScope();
        var t = thresholds.to_type(ScalarType.Float64).sort(1).Values;
        long m = t.size(1);
        var finite = t.isfinite();
        Tensor result;
        if (kind == CalibrationKind.TwoPoint)
        {
            var idx = arange(1, m + 1, ScalarType.Float64).unsqueeze(0).expand_as(t);
            // First and last finite transitions of each instance.
            var big = full_like(t, double.MaxValue);
            var kFirst = where(finite, idx, big).min(1, keepdim: true).values;
            var kLast = where(finite, idx, -big).max(1, keepdim: true).values;
            var tFirst = t.gather(1, (kFirst - 1).to_type(ScalarType.Int64));
            var tLast = t.gather(1, (kLast - 1).to_type(ScalarType.Int64));
            var g = ((tLast - tFirst) / (kLast - kFirst).clamp_min(1)).clamp_min(1e-9);
            var codes = arange(0, m + 1, ScalarType.Float64).unsqueeze(0);
            result = tFirst + (codes - kFirst + 0.5) * g;
        }
        else if (kind == CalibrationKind.Lut)
        {
            var lastFinite = where(finite, t, full_like(t, double.NegativeInfinity)).max(1, keepdim: true).values;
            var tf = where(finite, t, lastFinite + 1);               // unreachable codes: never hit, any level
            var lower = cat(new[] { tf.narrow(1, 0, 1) - 1, tf }, 1);
            var upper = cat(new[] { tf, tf.narrow(1, m - 1, 1) + 1 }, 1);
            result = (lower + upper) * 0.5;
        }
        else
        {
            result = arange(0, m + 1, ScalarType.Float64).unsqueeze(0).expand(t.size(0), m + 1).clone();
        }
        return result.MoveToOuterDisposeScope();
    }

    public static CalibrationCost Cost(CalibrationKind kind, int bits) => kind switch
    {
        CalibrationKind.TwoPoint => new("two-point", 2L * (bits + 6), 2, 2,
            "offset and gain trim per column: two coefficients (N+6 bits each), one multiply and one add per " +
                "conversion"),
        CalibrationKind.Lut => new("lut", (1L << bits) * (bits + 2), 2, 1,
            "code-mapping table per column: 2^N entries of N+2 bits, one lookup per conversion"),
        _ => new("none", 0, 0, 0, "uncalibrated: nominal code-to-level map"),
    };
}
