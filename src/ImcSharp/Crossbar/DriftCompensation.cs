using static TorchSharp.torch;

namespace ImcSharp.Crossbar;

/// <summary>
/// Global drift compensation (<c>cell.drift_compensation</c>), one digital scale per tile measured at the read
/// time: every row of tile t driven at once (the known input), the tile's columns read without noise (a
/// measurement averaged over many reads, offsets removed by the zero-input read) and summed,
///   m_t = sum_j | sum_r E[t, j, r] |   (column LSBs),
/// at programming (t0) and at the read time; the digital back end multiplies the tile's outputs by
///   alpha_t = m_t(t0) / m_t(t)
/// before adding the tiles (<see cref="ProgrammedLayer.TileScale"/>). The ADCs still see the drifted sums: the
/// scale restores the tile's average gain, not the resolution lost below the calibrated range, nor the cells'
/// spread of drift. As aihwkit's global drift compensation, per tile rather than per layer.
/// </summary>
public static class DriftCompensation
{
    /// <summary>m_t per tile [T] of a chip's programmed matrix (float64).</summary>
    public static Tensor KnownInputResponse(ProgrammedLayer chip) =>
        chip.EffectiveByColumn.to_type(ScalarType.Float64).sum(2, keepdim: false).abs_().sum(1, keepdim: false);

    /// <summary>
    /// Sets <paramref name="chip"/>'s tile scales from its response and that of <paramref name="programmed"/>, the same
    /// chip read at t0; a tile whose response vanished (every cell failed) keeps scale 1.
    /// </summary>
    public static void Apply(ProgrammedLayer chip, ProgrammedLayer programmed)
    {
        if (chip.Chips != 1) throw new ArgumentException("compensate each chip before stacking", nameof(chip));
        using var scope = NewDisposeScope();
        var now = KnownInputResponse(chip);
        var alpha = KnownInputResponse(programmed).div(now);
        alpha = where(now.gt(0), alpha, ones_like(alpha));
        chip.TileScale = alpha.to_type(ScalarType.Float32).to(chip.Target.Device).DetachFromDisposeScope();
    }
}
