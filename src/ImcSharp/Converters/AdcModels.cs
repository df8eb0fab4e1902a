using ImcSharp.Config;
using TorchSharp;
using static TorchSharp.torch;

namespace ImcSharp.Converters;

/// <summary>
/// Circuit-level ADC models as threshold generators. Every model returns the 2^N - 1 code
/// transition thresholds of each instance, in nominal LSBs of a unipolar input (code 0 at input 0;
/// ideal T_k = k - 0.5 for k = 1 .. 2^N - 1). An unreachable code has threshold +inf.
/// Draws: <paramref name="global"/> once per chip (shared by every instance), <paramref name="local"/>
/// per instance. Then the common variation applies: T' = T (1 + g_corner + g_glob + g_loc) +
/// o_corner + o_glob + o_loc, with (g, o)_corner the chip's named corner (none without corners).
/// </summary>
public static class AdcModels
{
    public static Tensor Ideal(int bits) => arange(1, 1L << bits, ScalarType.Float64) - 0.5;

    /// <param name="corner">The chip's named corner (index modulo the config's corners); null picks one with <paramref name="global"/>.</param>
    public static Tensor Thresholds(AdcConfig cfg, int instances, Generator global, Generator local, int? corner = null)
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
        return Vary(t, cfg, corner, global, local);
    }

    /// <summary>
    /// The common variation on thresholds [instances, M] (LSB): T' = T (1 + g_corner + g_glob + g_loc)
    /// + o_corner + o_glob + o_loc; infinite thresholds (codes never reached, or reached at any input) stay.
    /// </summary>
    public static Tensor Vary(Tensor t, AdcConfig cfg, int? corner, Generator global, Generator local)
    {
        var v = cfg.Variation;
        long instances = t.shape[0];
        double gCorner = 0, oCorner = 0;
        if (cfg.Corners.Count > 0)
        {
            int k = corner is int c ? c % cfg.Corners.Count : (int)randint(0, cfg.Corners.Count, new long[] { 1 }, generator: global).item<long>();
            (gCorner, oCorner) = (cfg.Corners[k].Gain, cfg.Corners[k].Offset);
        }
        double gGlob = Normal(global) * v.GainSigmaGlobal, oGlob = Normal(global) * v.OffsetSigmaGlobal;
        var gLoc = randn(new long[] { instances, 1 }, ScalarType.Float64, generator: local) * v.GainSigmaLocal;
        var oLoc = randn(new long[] { instances, 1 }, ScalarType.Float64, generator: local) * v.OffsetSigmaLocal;
        var varied = t * (gLoc + (1 + gCorner + gGlob)) + (oLoc + (oCorner + oGlob));
        return where(t.isinf(), t, varied);
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
    /// code = round(counts), so T_k solves counts(x) = k - 1/2, in closed form:
    /// CCO: x = (FMax atanh(f_k / FMax) - f0) / K with f_k = (k - 1/2)/W + F0_nom (unreachable when f_k >= FMax);
    /// VCO: the smaller root of K c x^2 / FS - K x + (f_k - f0) = 0 (c = curvature; linear when c = 0;
    /// unreachable beyond the curve's peak or FMax). Expressed in nominal LSBs of FullScale / (2^N - 1).
    /// </summary>
    static Tensor Oscillator(OscillatorParams p, bool cco, int n, int instances, Generator global, Generator local)
    {
        double kG = 1 + Normal(global) * p.KSigmaGlobal, f0G = 1 + Normal(global) * p.F0SigmaGlobal;
        var k = (randn(new long[] { instances, 1 }, ScalarType.Float64, generator: local) * p.KSigmaLocal + 1) * (p.K * kG);
        var f0 = (randn(new long[] { instances, 1 }, ScalarType.Float64, generator: local) * p.F0SigmaLocal + 1) * (p.F0 * f0G);
        double lsb = p.FullScale / ((1L << n) - 1);
        var fk = (Ideal(n) / p.Window + p.F0).unsqueeze(0);                                   // [1, M] frequency of transition k
        Tensor x;
        var reachable = fk.lt(p.FMax).expand(instances, -1);
        if (cco)
        {
            x = ((fk / p.FMax).clamp_max(1 - 1e-15).atanh() * p.FMax - f0) / k;
        }
        else if (p.Curvature <= 0)
        {
            x = (fk - f0) / k;
        }
        else
        {
            var a = k * (p.Curvature / p.FullScale);
            var disc = k.square() - 4 * a * (fk - f0);
            reachable = reachable.logical_and(disc.ge(0));
            x = (k - disc.clamp_min(0).sqrt()) / (2 * a);
        }
        return where(reachable, x / lsb, full_like(x, double.PositiveInfinity));
    }

    /// <summary>
    /// Integrator: counts(u) = u - D (1 - e^(-u/D)) (dead zone D LSB, compressive near 0), so
    /// T_k solves counts(u) = k - 1/2: 30 Newton steps from u = k - 1/2 + D (counts is convex and
    /// increasing, so Newton from the right converges monotonically).
    /// </summary>
    static Tensor Integrator(IntegratorParams p, int n, int instances, Generator local)
    {
        var d = (randn(new long[] { instances, 1 }, ScalarType.Float64, generator: local) * p.DeadZoneSigmaLocal + 1).clamp_min(1e-9) * p.DeadZone;
        var c = Ideal(n).unsqueeze(0);
        if (p.DeadZone <= 0) return c.expand(instances, -1).clone();
        var u = (c + d).contiguous();
        for (int i = 0; i < 30; i++)
        {
            using var step = NewDisposeScope();
            var e = (-u / d).exp_();
            var f = u - d * (1 - e) - c;                // counts(u) - target
            var slope = 1 - e;                          // d counts / du
            u.sub_(f / slope.clamp_min(1e-12));
        }
        return u;
    }
}
