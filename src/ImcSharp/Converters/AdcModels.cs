using ImcSharp.Config;
using TorchSharp;
using static TorchSharp.torch;

namespace ImcSharp.Converters;

/// <summary>
/// What every ADC model shares: the ideal thresholds (T_k = k - 1/2, k = 1 .. 2^N - 1, in nominal
/// LSBs of a unipolar input) and the common variation T' = T (1 + g_corner + g_glob + g_loc) +
/// o_corner + o_glob + o_loc, with (g, o)_corner the chip's named corner (none without corners).
/// The circuit models themselves are the architectures (Converters/Architectures).
/// </summary>
public static class AdcModels
{
    public static Tensor Ideal(int bits) => arange(1, 1L << bits, ScalarType.Float64) - 0.5;

    /// <summary>
    /// The common variation on thresholds [instances, M] (LSB): T' = T (1 + g_corner + g_glob + g_loc)
    /// + o_corner + o_glob + o_loc; infinite thresholds (codes never reached, or reached at any input) stay.
    /// </summary>
    public static Tensor Vary(Tensor t, AdcConfig cfg, int? corner, Generator global, Generator local)
    {
        var v = cfg.Variation;
        long instances = t.size(0);
        double gCorner = 0, oCorner = 0;
        if (cfg.Corners.Count > 0)
        {
            int k = corner is int c ? c % cfg.Corners.Count
                : (int)randint(0, cfg.Corners.Count, new long[] { 1 }, generator: global).item<long>();
            (gCorner, oCorner) = (cfg.Corners[k].Gain, cfg.Corners[k].Offset);
        }
        double gGlob = Normal(global) * v.GainSigmaGlobal, oGlob = Normal(global) * v.OffsetSigmaGlobal;
        var gLoc = randn(new long[] { instances, 1 }, ScalarType.Float64, generator: local) * v.GainSigmaLocal;
        var oLoc = randn(new long[] { instances, 1 }, ScalarType.Float64, generator: local) * v.OffsetSigmaLocal;
        var varied = t * (gLoc + (1 + gCorner + gGlob)) + (oLoc + (oCorner + oGlob));
        return where(t.isinf(), t, varied);
    }

    static double Normal(Generator g) => randn(new long[] { 1 }, ScalarType.Float64, generator: g).item<double>();
}
