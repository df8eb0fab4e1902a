using ImcSharp.Config;
using TorchSharp;
using static TorchSharp.torch;

namespace ImcSharp.Memory;

/// <summary>
/// 1T1R RRAM (current mode): G = G_min + d dG + G_max sigma(d) eps, sigma(d) linear from
/// sigma_at_gmin (d = 0) to sigma (d = levels - 1), dG = (G_max - G_min)/(levels - 1) (S);
/// stuck-on cells at G_max, stuck-off at G_min; G clipped at 0. Contribution = (G - G_min)/dG;
/// per-read noise sigma = read_noise G / dG (relative to the cell's conductance). 30 F^2.
/// </summary>
public sealed class RramCell : CellTechnology
{
    /// <inheritdoc/>
    public override string Kind => CellKind.Rram;
    /// <inheritdoc/>
    public override bool WorksIn(string mode) => mode == ArrayMode.Current;
    /// <inheritdoc/>
    public override bool HasConductance => true;

    /// <inheritdoc/>
    public override CellState Program(CellConfig cell, int levels, Tensor digits, Generator gen)
    {
        int top = levels - 1;
        return ProgramByTorch(cell, top, (cell.GMax - cell.GMin) / top, digits, gen);
    }

    /// <summary>The arithmetic in one pass (<see cref="RramProgramKernel"/>, the same numbers) on contiguous
    /// float32 CPU digits (torch's draws come in that order); the draws are torch's either way.</summary>
    public override CellState? ProgramFused(CellConfig cell, int levels, Tensor digits, Generator gen)
    {
        if (!DenseKernel.Applies(digits) || !digits.is_contiguous()) return null;
        int top = levels - 1;
        double dG = (cell.GMax - cell.GMin) / top;
        var z = cell.ProgrammingSigma > 0 || cell.ProgrammingSigmaAtGmin > 0 ? randn(digits.Sizes(), generator: gen)
            : null;
        var u = cell.StuckOnRate > 0 || cell.StuckOffRate > 0 ? rand(digits.Sizes(), generator: gen) : null;
        var (contribution, conductance, read) = RramProgramKernel.Run(cell, top, dG, digits, z, u);
        return new CellState(contribution, cell.GMin / dG, conductance, null, read);
    }

    static CellState ProgramByTorch(CellConfig cell, int top, double dG, Tensor digits, Generator gen)
    {
        var frac = digits / (double)top;
        var sigma = (frac * (cell.ProgrammingSigma - cell.ProgrammingSigmaAtGmin) + cell.ProgrammingSigmaAtGmin)
            * cell.GMax;
        var g = digits * dG + cell.GMin;
        if (cell.ProgrammingSigma > 0 || cell.ProgrammingSigmaAtGmin > 0)
            g = g + sigma * randn(digits.Sizes(), generator: gen);
        if (cell.StuckOnRate > 0 || cell.StuckOffRate > 0)
        {
            var u = rand(digits.Sizes(), generator: gen);
            g = where(u.lt(cell.StuckOnRate), full_like(g, cell.GMax), g);
            g = where(u.ge(cell.StuckOnRate).logical_and(u.lt(cell.StuckOnRate + cell.StuckOffRate)),
                full_like(g, cell.GMin), g);
        }
        g = g.clamp_min(0);
        var contribution = (g - cell.GMin) / dG;
        var read = cell.ReadNoise > 0 ? g * (cell.ReadNoise / dG) : null;
        return new CellState(contribution, cell.GMin / dG, g, null, read);
    }
}
