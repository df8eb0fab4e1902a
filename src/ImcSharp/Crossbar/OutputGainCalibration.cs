using static TorchSharp.torch;

namespace ImcSharp.Crossbar;

/// <summary>
/// A chip's per-output gain and offset registers: the digital back end maps each output's integer-domain sum z[n]
/// (after the offset trim) to
///   z'[n] = g[n] z[n] + o[n],
/// g a fixed-point gain (<see cref="OutputGainCalibration.GainFractionBits"/> fraction bits,
/// 0 &lt;= g &lt; <see cref="OutputGainCalibration.MaxGain"/>), o an integer (the sum's own LSB). [N] for one chip,
/// [K, N] for a stack of K.
/// </summary>
public sealed record GainRegisters(Tensor Gain, Tensor Offset) : IDisposable
{
    /// <summary>Frees both registers' tensors.</summary>
    public void Dispose()
    {
        Gain.Dispose();
        Offset.Dispose();
    }
}

/// <summary>
/// Sets a chip's gain registers by moment matching on calibration images. With the layer's output in real units
///   y = s z + b   (s = s_w s_x the output scale, b the bias)
/// and, per output n over the calibration images (and pixels), the chip's mean mu_c and standard deviation sigma_c,
/// the digital network's mu_r and sigma_r, the registers make the chip's outputs have the digital network's moments:
///   g = sigma_r / sigma_c,   o = (mu_r - b - g (mu_c - b)) / s,
/// g rounded to the register's step 2^-F and o to an integer. An output the chip holds constant (sigma_c = 0) keeps
/// g = 1. Deployed after BatchNorm, the registers are equivalent to re-estimating BatchNorm's statistics; in front of
/// a ReLU or the logits they correct what BatchNorm cannot: column gain and offset error of the chip itself.
/// </summary>
public static class OutputGainCalibration
{
    /// <summary>Fraction bits of the gain register.</summary>
    public const int GainFractionBits = 8;
    /// <summary>The gain register's range: 0 &lt;= g &lt; 8 (3 integer bits).</summary>
    public const double MaxGain = 8;

    /// <summary>
    /// The registers [.., N] from the chip's and the reference's moments [.., N] (float64), the bias [N] (or null)
    /// and the output scale s.
    /// </summary>
    public static GainRegisters Solve(Tensor chipMean, Tensor chipStd, Tensor refMean, Tensor refStd, Tensor? bias,
        double scale)
    {
        using var scope = NewDisposeScope();
        double step = Math.Pow(2, -GainFractionBits);
        var g = where(chipStd.gt(0), refStd.div(chipStd), ones_like(chipStd))
            .div(step).round_().mul_(step).clamp_(0, MaxGain - step);
        var b = bias?.to_type(ScalarType.Float64) ?? zeros_like(chipMean);
        var o = refMean.sub(b).sub(g.mul(chipMean.sub(b))).div_(scale).round_();
        return new GainRegisters(g.to_type(ScalarType.Float32).DetachFromDisposeScope(),
            o.to_type(ScalarType.Float32).DetachFromDisposeScope());
    }

    /// <summary>
    /// What the registers make of outputs already computed without them, y [K B, N, ..] (real units, block k from
    /// chip k): y' = g (y - b) + s o + b.
    /// </summary>
    public static Tensor Apply(Tensor y, GainRegisters r, Tensor? bias, double scale, int chips)
    {
        long n = y.size(1);
        var yk = ByChip(y, chips);                                          // [K, B, N, pixels]
        var g = r.Gain.view(chips, 1, n, 1);
        var o = r.Offset.view(chips, 1, n, 1).mul(scale);
        var corrected = bias is null ? yk.mul(g).add_(o)
            : yk.sub(bias.view(1, 1, n, 1)).mul_(g).add_(o).add_(bias.view(1, 1, n, 1));
        return corrected.reshape(y.Sizes());
    }

    /// <summary>y [K B, N, ..] as [K, B, N, pixels].</summary>
    static Tensor ByChip(Tensor y, int chips) =>
        y.reshape(chips, -1, y.size(1), y.dim() > 2 ? y[0, 0].numel() : 1);

    /// <summary>
    /// Per chip and output, mean and standard deviation (float64, population) of y [K B, N, ..] over the samples and
    /// pixels of each chip's block: two [K, N] tensors.
    /// </summary>
    public static (Tensor Mean, Tensor Std) Moments(Tensor y, int chips)
    {
        var (var_, mean) = var_mean(ByOutput(y, chips), 2, unbiased: false, keepdim: false);
        return (mean, var_.sqrt_());
    }

    /// <summary>Per chip and output, the count, sum and sum of squares (float64) of y [K B, N, ..].</summary>
    public static MomentSums Sums(Tensor y, int chips)
    {
        var v = ByOutput(y, chips);
        return new MomentSums(v.size(2), v.sum(2), v.square().sum(2));
    }

    /// <summary>y [K B, N, ..] as [K, N, B pixels] (float64).</summary>
    static Tensor ByOutput(Tensor y, int chips) =>
        ByChip(y, chips).to_type(ScalarType.Float64).transpose(1, 2).reshape(chips, y.size(1), -1);
}

/// <summary>
/// Running moments of outputs over several forwards (a recurrent layer's every step): count per output, sums and sums
/// of squares [K, N] (float64). The variance is E[y^2] - E[y]^2 over everything seen.
/// </summary>
public sealed record MomentSums(long Count, Tensor Sum, Tensor SumOfSquares) : IDisposable
{
    /// <summary>Frees both sums.</summary>
    public void Dispose()
    {
        Sum.Dispose();
        SumOfSquares.Dispose();
    }

    /// <summary>Both sets of sums together.</summary>
    public MomentSums Add(MomentSums other) =>
        new(Count + other.Count, Sum.add(other.Sum), SumOfSquares.add(other.SumOfSquares));

    /// <summary>Mean and standard deviation (population) [K, N].</summary>
    public (Tensor Mean, Tensor Std) Moments()
    {
        var mean = Sum.div(Count);
        return (mean, SumOfSquares.div(Count).sub_(mean.square()).clamp_min_(0).sqrt_());
    }
}
