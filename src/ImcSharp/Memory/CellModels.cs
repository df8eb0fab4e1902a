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
public sealed record CellState(Tensor Contribution, double Baseline, Tensor? Conductance, Tensor? CapacitanceRatio,
    Tensor? ReadSigma);

/// <summary>Programs memory cells to weight digits, drawing the persistent per-cell errors once.</summary>
public static class CellModels
{
    /// <summary>
    /// Programs cells holding <paramref name="digits"/> (0 .. levels-1, any shape) and draws their
    /// errors from <paramref name="gen"/>, by the config's technology (<see cref="CellTechnology"/>,
    /// one class per kind in Memory/Cells): its fused kernel where <paramref name="target"/> runs
    /// kernels and the technology has one that suits the digits, else its reference form (the same cells).
    /// </summary>
    public static CellState Program(CellConfig cell, int levels, Tensor digits, Generator gen,
        ComputeTarget? target = null)
    {
        var technology = CellTechnology.Of(cell);
        return (target?.UsesKernels == true ? technology.ProgramFused(cell, levels, digits, gen) : null)
            ?? technology.Program(cell, levels, digits, gen);
    }
}
