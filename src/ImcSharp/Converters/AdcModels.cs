using ImcSharp.Config;
using TorchSharp;
using static TorchSharp.torch;

namespace ImcSharp.Converters;

/// <summary>
/// Circuit-level ADC models as threshold generators. Every model returns the 2^N - 1 code
/// transition thresholds of each instance, in nominal LSBs of a unipolar input (code 0 at input 0;
/// ideal T_k = k - 0.5 for k = 1 .. 2^N - 1). An unreachable code has threshold +inf.
/// Draws: <paramref name="global"/> once per chip (shared by every instance), <paramref name="local"/>
/// per instance. Then the common variation applies: T' = T (1 + g_glob + g_loc) + o_glob + o_loc.
/// </summary>
public static class AdcModels
{
    public static Tensor Ideal(int bits) => arange(1, 1L << bits, ScalarType.Float64) - 0.5;

    public static Tensor Thresholds(AdcConfig cfg, int instances, Generator global, Generator local)
    {
        int n = cfg.Bits;
        long m = (1L << n) - 1;
        var ideal = Ideal(n).unsqueeze(0).expand(instances, m);
        Tensor t = cfg.Kind switch
        {
            AdcKind.Ideal => ideal.clone(),
            AdcKind.SenseAmp => ideal.clone(),
            AdcKind.Flash => ideal + randn(new long[] { instances, m }, ScalarType.Float64, generator: local) * cfg.Flash.ComparatorSigma,
            AdcKind.Sar => Sar(cfg.Sar, n, instances, local),
            AdcKind.Ramp => Ramp(cfg.Ramp, n, instances, global, local),
            AdcKind.Cco or AdcKind.Vco => Oscillator(cfg.Oscillator, cfg.Kind == AdcKind.Cco, n, instances, global, local),
            AdcKind.Integrator => Integrator(cfg.Integrator, n, instances, local),
            _ => throw new ImcInputException($"adc.kind {cfg.Kind}: no circuit model (population files are loaded, not generated)"),
        };
        var v = cfg.Variation;
        double gGlob = Normal(global) * v.GainSigmaGlobal, oGlob = Normal(global) * v.OffsetSigmaGlobal;
        var gLoc = randn(new long[] { instances, 1 }, ScalarType.Float64, generator: local) * v.GainSigmaLocal;
        var oLoc = randn(new long[] { instances, 1 }, ScalarType.Float64, generator: local) * v.OffsetSigmaLocal;
        return t * (gLoc + (1 + gGlob)) + (oLoc + oGlob);
    }

    static double Normal(Generator g) => randn(new long[] { 1 }, ScalarType.Float64, generator: g).item<double>();

    /// <summary>
    /// SAR: caps C_i = 2^i (1 + d_i), d_i ~ N(0, s/sqrt(2^i)), i = 0..N-1, plus a unit terminating
    /// cap; DAC level of code k: V(k) = 2^N sum_i b_i(k) C_i / C_tot (LSB); T_k = V(k) - 1/2 + offset.
    /// The largest DNL errors sit where many bits flip at once, worst at mid-scale (MSB vs the rest).
    /// </summary>
    static Tensor Sar(SarParams p, int n, int instances, Generator local)
    {
        var weights = pow(2.0, arange(n, ScalarType.Float64));                                // [N]
        var caps = weights * (randn(new long[] { instances, n }, ScalarType.Float64, generator: local) * (p.UnitCapSigma / weights.sqrt()) + 1);
        var total = caps.sum(1, keepdim: true) + 1;                                          // + terminating unit cap
        var codes = arange(1, 1L << n, ScalarType.Int64);
        var bits = codes.unsqueeze(1).bitwise_right_shift(arange(n, ScalarType.Int64)).bitwise_and(1).to_type(ScalarType.Float64); // [M, N]
        var level = caps.matmul(bits.t()) / total * Math.Pow(2, n);                          // [I, M]
        var offset = randn(new long[] { instances, 1 }, ScalarType.Float64, generator: local) * p.ComparatorOffsetSigma;
        return level - 0.5 + offset;
    }

    /// <summary>
    /// Single slope: code k is reached when the ramp passes the input at clock edge k - 1/2:
    /// T_k = 2^N r((k - 1/2) / 2^N), r(t) = (1 - e^(-t/tau)) / (1 - e^(-1/tau)) (linear when tau = 0),
    /// tau drawn once per chip; per-column comparator offset.
    /// </summary>
    static Tensor Ramp(RampParams p, int n, int instances, Generator global, Generator local)
    {
        double full = Math.Pow(2, n);
        var t = (Ideal(n) / full).unsqueeze(0);
        Tensor r;
        if (p.RcTau <= 0) r = t;
        else
        {
            double tau = p.RcTau * (1 + Normal(global) * p.TauSigmaGlobal);
            r = (1 - exp(-t / tau)) / (1 - Math.Exp(-1 / tau));
        }
        var offset = randn(new long[] { instances, 1 }, ScalarType.Float64, generator: local) * p.ComparatorOffsetSigma;
        return r.expand(instances, -1) * full + offset;
    }

    /// <summary>
    /// Oscillator ADC: counts(x) = f(x) W - F0_nom W with f from <see cref="OscillatorParams"/>;
    /// code = round(counts), so T_k solves counts(x) = k - 1/2 (inverted by bisection), expressed
    /// in nominal LSBs of FullScale / (2^N - 1).
    /// </summary>
    static Tensor Oscillator(OscillatorParams p, bool cco, int n, int instances, Generator global, Generator local)
    {
        double kG = 1 + Normal(global) * p.KSigmaGlobal, f0G = 1 + Normal(global) * p.F0SigmaGlobal;
        var k = (randn(new long[] { instances, 1 }, ScalarType.Float64, generator: local) * p.KSigmaLocal + 1) * (p.K * kG);
        var f0 = (randn(new long[] { instances, 1 }, ScalarType.Float64, generator: local) * p.F0SigmaLocal + 1) * (p.F0 * f0G);
        double lsb = p.FullScale / ((1L << n) - 1);
        Tensor Counts(Tensor u)
        {
            var x = u * lsb;
            var f = cco ? tanh((f0 + k * x) / p.FMax) * p.FMax
                        : (f0 + k * x * (1 - x * (p.Curvature / p.FullScale))).clamp_max(p.FMax);
            return f * p.Window - p.F0 * p.Window;
        }
        // The VCO's quadratic term peaks at FullScale / (2 Curvature); search below it so counts stay monotonic.
        double hi = cco || p.Curvature <= 0 ? 4.0 * (1L << n) : Math.Min(4.0 * (1L << n), p.FullScale / (2 * p.Curvature) / lsb);
        return Invert(Counts, n, instances, -(1L << n), hi);
    }

    /// <summary>Integrator: counts(u) = u - D (1 - e^(-u/D)) for u >= 0 (dead zone D LSB, compressive near 0).</summary>
    static Tensor Integrator(IntegratorParams p, int n, int instances, Generator local)
    {
        var d = (randn(new long[] { instances, 1 }, ScalarType.Float64, generator: local) * p.DeadZoneSigmaLocal + 1).clamp_min(0) * p.DeadZone;
        Tensor Counts(Tensor u) => p.DeadZone <= 0 ? u : u - d * (1 - exp(-u.clamp_min(0) / d.clamp_min(1e-12)));
        return Invert(Counts, n, instances, 0, 4.0 * (1L << n));
    }

    /// <summary>
    /// Thresholds of a monotonic count curve: T_k with counts(T_k) = k - 1/2, by 60 steps of
    /// vectorized bisection on [lo, hi]; codes the curve never reaches get +inf, codes it passes
    /// below lo get -inf.
    /// </summary>
    public static Tensor Invert(Func<Tensor, Tensor> counts, int bits, int instances, double lo, double hi)
    {
        long m = (1L << bits) - 1;
        var target = (Ideal(bits)).unsqueeze(0).expand(instances, m);
        var a = full(new long[] { instances, m }, lo, ScalarType.Float64);
        var b = full(new long[] { instances, m }, hi, ScalarType.Float64);
        for (int i = 0; i < 60; i++)
        {
            var mid = (a + b) * 0.5;
            var below = counts(mid).lt(target);
            a = where(below, mid, a);
            b = where(below, b, mid);
        }
        var t = (a + b) * 0.5;
        t = where(counts(full_like(t, hi)).lt(target), full_like(t, double.PositiveInfinity), t);
        return where(counts(full_like(t, lo)).ge(target), full_like(t, double.NegativeInfinity), t);
    }
}
