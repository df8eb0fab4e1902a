using ImcSharp.Config;
using TorchSharp;
using static TorchSharp.torch;

namespace ImcSharp.Memory;

/// <summary>
/// 1T1R RRAM (current mode): G = G_min + d dG + G_max sigma(d) eps, sigma(d) linear from
/// sigma_at_gmin (d = 0) to sigma (d = levels - 1), dG = (G_max - G_min)/(levels - 1) (S);
/// stuck-on cells at G_max, stuck-off at G_min; G clipped at 0. Contribution = (G - G_min)/dG;
/// per-read noise sigma = read_noise G / dG (relative to the cell's conductance). 30 F^2.
/// Aging (<see cref="CellAging"/>): read at t &gt;= t0 after programming, G(t) = G(t0) (t / t0)^-nu with
/// nu ~ N(drift_nu, drift_nu_sigma) per cell (clipped at 0), the power law of amorphous structural relaxation (Le Gallo
/// et al., Adv. Electron. Mater. 4, 1700627, 2018); PCM measures nu of 0.049-0.1 with sigma 0.008-0.045
/// over its conductance range (Nandakumar et al., ICECS 2019; the model aihwkit ships, t0 = 20 s); filamentary
/// RRAM drifts less and relaxes additively; retention failures to G_min and read noise growing with time.
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
        return Aged(cell, dG, new CellState(contribution, cell.GMin / dG, conductance, null, read), gen);
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
        return Aged(cell, dG, new CellState(contribution, cell.GMin / dG, g, null, read), gen);
    }

    /// <summary>
    /// The cells read at <c>cell.read_time</c> (<see cref="CellAging"/>): conductances, levels and read noise after
    /// drift, relaxation and retention failures, the read noise grown with time.
    /// </summary>
    static CellState Aged(CellConfig cell, double dG, CellState programmed, Generator gen)
    {
        if (!CellAging.Ages(cell)) return programmed;
        var g = CellAging.Conductances(cell, programmed.Conductance!, gen);
        double growth = CellAging.ReadNoiseGrowth(cell, cell.ReadTime ?? cell.DriftReference);
        if (ReferenceEquals(g, programmed.Conductance) && growth == 1) return programmed;
        var read = cell.ReadNoise > 0 ? g * (cell.ReadNoise * growth / dG) : null;
        return new CellState((g - cell.GMin) / dG, cell.GMin / dG, g, null, read);
    }
}
