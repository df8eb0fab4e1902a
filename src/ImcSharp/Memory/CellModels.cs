using ImcSharp.Config;
using TorchSharp;
using static TorchSharp.torch;

namespace ImcSharp.Memory;

/// <summary>
/// The persistent state of programmed cells, in the simulator's signal units: one unit is what
/// a cell at weight digit 1 contributes per input digit 1 in an ideal array.
/// </summary>
/// <param name="Contribution">Per cell, the signal per unit input above the level-0 cell (ideal: the digit).</param>
/// <param name="Baseline">Signal per unit input of a level-0 cell (RRAM: G_min/dG); cancels in a pair.</param>
/// <param name="Conductance">Absolute conductance (S) per cell, for IR drop; null where not a conductance.</param>
/// <param name="CapacitanceRatio">C_i / C_unit per cell (charge mode), null otherwise.</param>
/// <param name="ReadSigma">Per-read noise sigma per cell in signal units, null when noiseless.</param>
public sealed record CellState(Tensor Contribution, double Baseline, Tensor? Conductance, Tensor? CapacitanceRatio, Tensor? ReadSigma);

/// <summary>Programs memory cells to weight digits, drawing the persistent per-cell errors once.</summary>
public static class CellModels
{
    /// <summary>
    /// Programs cells holding <paramref name="digits"/> (0 .. levels-1, any shape) and draws their
    /// errors from <paramref name="gen"/>.
    /// RRAM: G = G_min + d dG + G_max sigma(d) eps, sigma(d) linear from sigma_at_gmin (d=0) to
    /// sigma (d=levels-1), dG = (G_max - G_min)/(levels-1); stuck-on cells at G_max, stuck-off at
    /// G_min; G clipped at 0. Contribution = (G - G_min)/dG.
    /// SRAM: contribution = d (1 + sigma_I eps) (on-current mismatch).
    /// Capacitor: C_i = C_unit (1 + sigma_C eps) for every cell; contribution = d C_i / C_unit.
    /// </summary>
    public static CellState Program(CellConfig cell, int levels, Tensor digits, Generator gen)
    {
        int top = levels - 1;
        switch (cell.Kind)
        {
            case CellKind.Ideal:
                return new CellState(digits.clone(), 0, null, null, null);

            case CellKind.Rram:
            {
                double dG = (cell.GMax - cell.GMin) / top;
                var frac = digits / (double)top;
                var sigma = (frac * (cell.ProgrammingSigma - cell.ProgrammingSigmaAtGmin) + cell.ProgrammingSigmaAtGmin) * cell.GMax;
                var g = digits * dG + cell.GMin;
                if (cell.ProgrammingSigma > 0 || cell.ProgrammingSigmaAtGmin > 0)
                    g = g + sigma * randn(digits.shape, generator: gen);
                if (cell.StuckOnRate > 0 || cell.StuckOffRate > 0)
                {
                    var u = rand(digits.shape, generator: gen);
                    g = where(u.lt(cell.StuckOnRate), full_like(g, cell.GMax), g);
                    g = where(u.ge(cell.StuckOnRate).logical_and(u.lt(cell.StuckOnRate + cell.StuckOffRate)), full_like(g, cell.GMin), g);
                }
                g = g.clamp_min(0);
                var contribution = (g - cell.GMin) / dG;
                var read = cell.ReadNoise > 0 ? g * (cell.ReadNoise / dG) : null;
                return new CellState(contribution, cell.GMin / dG, g, null, read);
            }

            case CellKind.Sram:
            {
                var factor = cell.CurrentSigma > 0 ? randn(digits.shape, generator: gen) * cell.CurrentSigma + 1 : ones_like(digits);
                return new CellState(digits * factor, 0, null, null, null);
            }

            case CellKind.Capacitor:
            {
                var ratio = cell.CapacitorSigma > 0 ? randn(digits.shape, generator: gen) * cell.CapacitorSigma + 1 : ones_like(digits);
                return new CellState(digits * ratio, 0, null, ratio, null);
            }
        }
        throw new InvalidOperationException();
    }
}
