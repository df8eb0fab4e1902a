using TorchSharp;
using static TorchSharp.torch;

namespace ImcSharp.Converters;

/// <summary>
/// Static and dynamic linearity of one population, per instance (tensors [instances] or [instances, codes]).
/// </summary>
public sealed record Linearity(
    Tensor Thresholds,       // [I, M] estimated transitions (LSB), from the cumulative histogram
    Tensor Dnl,              // [I, 2^N] per code (LSB), IEEE 1241: widths over the mean inner width, end codes 0
    Tensor InlEndPoint,      // [I, M] per transition (LSB), against the line through the first and last transitions
    Tensor InlBestFit,       // [I, M] per transition (LSB), against the least-squares line
    Tensor MissingCodes,     // [I] inner codes never hit
    Tensor OffsetError,      // [I] first reachable transition minus its ideal k - 1/2 (LSB)
    Tensor GainError,        // [I] relative: mean spacing of the reachable transitions - 1
    Tensor Enob,             // [I] from a full-scale sine, 3-parameter fit
    Tensor UnreachedCodes,   // [I] codes never produced (transition +inf)
    Tensor CodesAtLowest);   // [I] codes already produced at the lowest input (transition -inf)

/// <summary>Statistics of one metric over a population.</summary>
public sealed record MetricStats(double Mean, double Sigma, double Min, double Max, double WorstAbs);

/// <summary>
/// The code-density (histogram) test of IEEE Std 1241 with a slow uniform ramp, applied to every
/// instance at once, and a sine test for ENOB. Thresholds T_k are read off the cumulative
/// histogram: T_k = x_start + dx * (samples with code &lt; k); code widths are their differences.
/// Statistics use the reachable transitions only: a transition at -inf (the code is produced at
/// the lowest input) or +inf (never produced) is counted, not read off the ramp's ends; the
/// end-point line runs through the first and last reachable transitions, and INL/DNL are 0 where
/// a transition is not reachable.
/// </summary>
public static class Characterization
{
    public static Linearity Measure(AdcPopulation pop, int samplesPerCode = 256)
    {
        using var scope = NewDisposeScope();
        int codes = pop.Codes;
        long m = codes - 1;
        // Ramp from one LSB below code 0 (or the lowest finite transition) to one LSB above the top
        // code (or the highest finite transition): a compressive converter's last transitions lie
        // beyond full scale and must not be clipped by the test ramp.
        var finiteT = pop.Sorted().masked_select(pop.Sorted().isfinite());
        // (At most one full scale either way: a wild outlier must not make the ramp unbounded.)
        double start =
            Math.Max(-codes, Math.Min(-1.0, finiteT.numel() > 0 ? Math.Floor(finiteT.min().item<double>()) - 1 : -1.0));
        double stop =
            Math.Min(2.0 * codes,
            Math.Max(codes, finiteT.numel() > 0 ? Math.Ceiling(finiteT.max().item<double>()) + 1 : codes));
        double dx = 1.0 / samplesPerCode;
        long n = (long)Math.Round((stop - start) / dx);
        var ramp = (arange(n, ScalarType.Float64) * dx + start + dx / 2).unsqueeze(0).expand(pop.Instances, n)
            .contiguous();
        var code = pop.Convert(ramp);                                                     // [I, n]
        var hist = zeros(new long[] { pop.Instances, codes }, ScalarType.Float64).scatter_add_(1,
            code.clamp(0, codes - 1), ones_like(ramp));
        // samples with code < k, k = 1..M
        var below = hist.cumsum(1).narrow(1, 0, m);
        var t = below * dx + start;
        var sorted = pop.Sorted();
        // [I, M] reachable transitions
        var reach = sorted.isfinite();
        var reachF = reach.to_type(ScalarType.Float64);
        var k = arange(1, m + 1, ScalarType.Float64).unsqueeze(0).expand(pop.Instances, m);
        var big = full_like(k, 1e9);
        var kFirst = where(reach, k, big).amin(new long[] { 1 }, keepdim: true);
        var kLast = where(reach, k, -big).amax(new long[] { 1 }, keepdim: true);
        bool anyReach = reach.any().item<bool>();
        // An instance without two reachable transitions has no line: the nominal positions stand in.
        var hasLine = kLast.gt(kFirst);
        kFirst = where(hasLine, kFirst, ones_like(kFirst));
        kLast = where(hasLine, kLast, full_like(kLast, (double)m));
        var tr = where(reach, t, k - 0.5);
        var first = tr.gather(1, (kFirst - 1).to_type(ScalarType.Int64));
        var last = tr.gather(1, (kLast - 1).to_type(ScalarType.Int64));
        // One transition (a 1-bit ADC) has no line: the nominal LSB is the reference.
        var slope = m > 1 ? where(hasLine, (last - first) / (kLast - kFirst), ones_like(first)) : ones_like(first);
        var inlEnd = ((tr - (first + (k - kFirst) * slope)) / slope).mul_(reachF);
        // Widths of inner codes whose both transitions are reachable, over their mean.
        var inner = reach.narrow(1, 1, m - 1).logical_and(reach.narrow(1, 0, m - 1));
        var widths = tr.narrow(1, 1, m - 1) - tr.narrow(1, 0, m - 1);
        var innerF = inner.to_type(ScalarType.Float64);
        var meanWidth =
            m > 1 ? (widths * innerF).sum(1, keepdim: true) / innerF.sum(1, keepdim: true).clamp_min(1)
            : ones(pop.Instances, 1, ScalarType.Float64);
        var dnlInner = (widths / meanWidth.clamp_min(1e-12) - 1).mul_(innerF);
        var dnl = cat(new[] { zeros(pop.Instances, 1, ScalarType.Float64), dnlInner,
            zeros(pop.Instances, 1, ScalarType.Float64) }, 1);
        // Least-squares line through the reachable (k, T_k).
        var count = reachF.sum(1, keepdim: true).clamp_min(1);
        var kMean = (k * reachF).sum(1, keepdim: true) / count;
        var tMean = (tr * reachF).sum(1, keepdim: true) / count;
        var kVar = ((k - kMean).square() * reachF).sum(1, keepdim: true);
        var fitSlope =
            m > 1 ? where(kVar.gt(0),
            ((k - kMean) * (tr - tMean) * reachF).sum(1, keepdim: true) / kVar.clamp_min(1e-12), ones_like(first))
            : ones_like(first);
        var inlBest = ((tr - (tMean + (k - kMean) * fitSlope)) / fitSlope).mul_(reachF);
        // Missing codes: inner codes between reachable transitions that no ramp sample hit.
        var missing = hist.narrow(1, 1, m - 1).eq(0).logical_and(inner).sum(1);
        var offset = (first - (kFirst - 0.5)).squeeze(1);
        var gain = slope.squeeze(1) - 1;
        var enob = SineEnob(pop);
        var unreached = sorted.isposinf().sum(1);
        var atLowest = sorted.isneginf().sum(1);
        if (!anyReach) offset.zero_();
        return new Linearity(t, dnl, inlEnd, inlBest, missing, offset, gain, enob, unreached, atLowest).MoveToOuter();
    }

    static Linearity MoveToOuter(this Linearity l)
    {
        foreach (var x in new[] { l.Thresholds, l.Dnl, l.InlEndPoint, l.InlBestFit, l.MissingCodes, l.OffsetError,
            l.GainError, l.Enob, l.UnreachedCodes, l.CodesAtLowest })
            x.MoveToOuterDisposeScope();
        return l;
    }

    /// <summary>
    /// ENOB = (SINAD - 1.76 dB + 20 log10(A_fs / A)) / 6.02 dB from a coherently sampled sine of
    /// amplitude A = 0.95 A_fs (A_fs = 2^(N-1): full scale; 5% headroom keeps offset and gain
    /// errors from clipping it) centred mid-range; SINAD from the residual of a 3-parameter
    /// least-squares fit at the known frequency (IEEE 1241). Output levels are the nominal codes.
    /// </summary>
    public static Tensor SineEnob(AdcPopulation pop, int samples = 8192, int cycles = 1021)
    {
        double fullScale = pop.Codes / 2.0, amp = 0.95 * fullScale, mid = (pop.Codes - 1) / 2.0;
        var phase = arange(samples, ScalarType.Float64) * (2 * Math.PI * cycles / samples);
        var x = (phase.sin() * amp + mid).unsqueeze(0).expand(pop.Instances, samples).contiguous();
        var y = pop.Convert(x).to_type(ScalarType.Float64);                             // [I, S]
        var basis = stack(new[] { phase.sin(), phase.cos(), ones_like(phase) }, 1);       // [S, 3]
        var coef = linalg.solve(basis.t().matmul(basis), basis.t().matmul(y.t()));       // [3, I]
        var fit = basis.matmul(coef).t();
        var noise = (y - fit).square().mean(new long[] { 1 });
        var signal = (coef[0].square() + coef[1].square()) / 2;
        var sinad = 10 * (signal / noise.clamp_min(1e-30)).log10();
        return (sinad - 1.76 + 20 * Math.Log10(fullScale / amp)) / 6.02;
    }

    public static MetricStats Stats(Tensor perInstance)
    {
        var v = perInstance.to_type(ScalarType.Float64);
        return new MetricStats(v.mean().item<double>(), v.numel() > 1 ? v.std().item<double>() : 0,
            v.min().item<double>(), v.max().item<double>(), v.abs().max().item<double>());
    }
}
