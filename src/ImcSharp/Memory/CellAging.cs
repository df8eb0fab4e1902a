using ImcSharp.Config;
using TorchSharp;
using static TorchSharp.torch;

namespace ImcSharp.Memory;

/// <summary>
/// What happens to programmed conductance cells between programming and a read at time t (s) after it,
/// counted from t0 (<see cref="CellConfig.DriftReference"/>, 20 s): nothing before t0.
/// <list type="bullet">
/// <item>Drift: G(t) = G(t0) (t / t0)^-nu, nu ~ N(drift_nu, drift_nu_sigma) per cell, clipped at 0.</item>
/// <item>Relaxation (filamentary RRAM): an additive, level-independent shift
///   dG(t) = mu ln(t / t0) + z (sigma_0 + sigma_1 ln(t / t0)), z ~ N(0, 1) per cell (S), the form aihwkit's
///   CMO/HfOx ReRAM model fits to measured arrays (mean -0.089 uS and spread 0.42 + 0.042 ln t uS, there from
///   1 s; Falcone et al., cited by aihwkit as in review); conductances stay at or above 0.</item>
/// <item>Retention failure: a cell has lost its state by t with probability
///   F(t) = 1 - exp(-((t - t0) / tau)^beta)   (Weibull failure times, scale tau = retention_tau in s, shape
///   beta = retention_beta), the law retention bakes of filamentary RRAM are fitted with; a failed cell relaxes
///   to G_min (its filament dissolved). Each cell draws one uniform u and has failed once u &lt; F(t), so a cell
///   failed at 1 y has failed at 10 y.</item>
/// <item>Read noise: 1/f conductance noise integrated from the read's own bandwidth 1/t_r down to 1/t has a
///   variance growing as ln((t + t_r) / (2 t_r)) (the law aihwkit's PCM model reads with, t_r = 250 ns), so
///   sigma(t) = read_noise sqrt(ln((t + t_r) / (2 t_r)) / ln((t0 + t_r) / (2 t_r))): read_noise is sigma at t0,
///   t_r = read_noise_t_read.</item>
/// </list>
/// The random draws (nu, then u, then z) come from their own generator, seeded by one draw of the chip's only
/// when drift, retention or relaxation is configured: the same chip ages the same way whatever its read time, and
/// a design without aging draws nothing.
/// </summary>
public static class CellAging
{
    /// <summary>
    /// Whether the cell changes after programming (drift, relaxation, retention failures or growing read noise).
    /// </summary>
    public static bool Ages(CellConfig cell) => Draws(cell) || cell.ReadNoiseTRead is not null;

    static bool Drifts(CellConfig cell) => cell.DriftNu != 0 || cell.DriftNuSigma != 0;
    static bool Relaxes(CellConfig cell) =>
        cell.RelaxationMean != 0 || cell.RelaxationSigma != 0 || cell.RelaxationSigmaGrowth != 0;
    static bool Draws(CellConfig cell) => Drifts(cell) || cell.RetentionTau is not null || Relaxes(cell);

    /// <summary>
    /// The per-cell aging draws for cells of shape <paramref name="shape"/> (float64, each null when its effect
    /// is off): drift exponents nu, retention uniforms u and relaxation normals z, from a generator seeded by
    /// one draw of <paramref name="gen"/>; nothing is drawn when none is configured.
    /// </summary>
    public static (Tensor? Nu, Tensor? Retention, Tensor? Relaxation) Draw(CellConfig cell, long[] shape,
        Generator gen)
    {
        if (!Draws(cell)) return (null, null, null);
        var seed = randint(0, long.MaxValue, new long[] { 1 }, ScalarType.Int64, generator: gen).item<long>();
        var aging = new Generator((ulong)seed);
        var nu = Drifts(cell)
            ? randn(shape, ScalarType.Float64, generator: aging).mul_(cell.DriftNuSigma).add_(cell.DriftNu)
                .clamp_min_(0)
            : null;
        var u = cell.RetentionTau is not null ? rand(shape, ScalarType.Float64, generator: aging) : null;
        var z = Relaxes(cell) ? randn(shape, ScalarType.Float64, generator: aging) : null;
        return (nu, u, z);
    }

    /// <summary>
    /// Probability F(t) that a cell has failed by read time <paramref name="t"/> (s); 0 without retention.
    /// </summary>
    public static double FailureProbability(CellConfig cell, double t)
    {
        double t0 = cell.DriftReference;
        if (cell.RetentionTau is not { } tau || t <= t0) return 0;
        return 1 - Math.Exp(-Math.Pow((t - t0) / tau, cell.RetentionBeta ?? 1));
    }

    /// <summary>
    /// sigma(t) / sigma(t0) of the read noise at read time <paramref name="t"/> (s): 1 when it does not grow.
    /// </summary>
    public static double ReadNoiseGrowth(CellConfig cell, double t)
    {
        double t0 = cell.DriftReference;
        if (cell.ReadNoiseTRead is not { } tr || t <= t0) return 1;
        return Math.Sqrt(Math.Log((t + tr) / (2 * tr)) / Math.Log((t0 + tr) / (2 * tr)));
    }

    /// <summary>
    /// Conductances <paramref name="g"/> (S, float32, any shape) read at <c>cell.read_time</c>: drifted, relaxed,
    /// failed cells at G_min; the same tensor when the read is at or before t0. The draws are made whatever the read
    /// time.
    /// </summary>
    public static Tensor Conductances(CellConfig cell, Tensor g, Generator gen)
    {
        var (nu, u, z) = Draw(cell, g.Sizes(), gen);
        double t0 = cell.DriftReference, t = cell.ReadTime ?? t0;
        if (t <= t0 || (nu is null && u is null && z is null)) return g;
        var aged = g.to_type(ScalarType.Float64);
        if (nu is not null) aged = aged.mul(nu.mul_(-Math.Log(t / t0)).exp_());        // (t / t0)^-nu
        if (z is not null)
        {
            double efolds = Math.Log(t / t0);
            aged = aged.add(z.mul_(cell.RelaxationSigma + cell.RelaxationSigmaGrowth * efolds)
                .add_(cell.RelaxationMean * efolds)).clamp_min_(0);
        }
        if (u is not null) aged = where(u.lt(FailureProbability(cell, t)), full_like(aged, cell.GMin), aged);
        return aged.to_type(ScalarType.Float32);
    }
}
