using ImcSharp.Config;
using ImcSharp.Memory;
using TorchSharp;
using static TorchSharp.torch;

namespace ImcSharp.Crossbar;

/// <summary>
/// Current mode: I_j = sum_i V_i G_ij with V_i = digit_i V_read / (2^c - 1). One signal unit is
/// the cell technology's unit current (RRAM: V_read / (2^c - 1) dG, A). First-order IR drop: with
/// wire resistance r per cell segment the bit line rises on average by dV = r (R/2) I_col, which
/// every cell's current loses as dV G_i, so I_meas = I / (1 + r (R/2) G_col), G_col = sum_i G_i (S)
/// (the first-order solver's; the ir-drop solvers solve the network instead).
/// Energy per cell and cycle: input activity x the technology's read power at V_read x t_read.
/// </summary>
public sealed class CurrentMode : ArrayModel
{
    /// <inheritdoc/>
    public override string Mode => ArrayMode.Current;

    /// <inheritdoc/>
    public override (double Unit, string Quantity) SignalUnit(LayerHardware hw)
    {
        double inputSteps = Math.Pow(2, hw.Core.CycleBits) - 1;
        return (CellTechnology.Of(hw.Cell).UnitCurrent(hw.Cell, hw.Array, inputSteps, (1 << hw.Core.BitsPerCell) - 1),
            "A");
    }

    /// <inheritdoc/>
    public override Tensor? ColumnGain(LayerHardware hw, CellState cells) =>
        hw.Array.WireResistance > 0 && hw.Array.Solver == ArraySolver.FirstOrder && cells.Conductance is { } g
            ? g.sum(1, keepdim: true).mul_(hw.Array.WireResistance * hw.Core.Rows / 2).add_(1).reciprocal_()
            : null;

    /// <inheritdoc/>
    public override double DriveVoltage(LayerHardware hw) => hw.Array.ReadVoltage;

    /// <inheritdoc/>
    public override double CellEnergy(LayerHardware hw, CostConfig cost) =>
        cost.InputActivity * CellTechnology.Of(hw.Cell).ReadPower(hw.Cell, hw.Array.ReadVoltage, cost) * cost.ReadTime;
}
