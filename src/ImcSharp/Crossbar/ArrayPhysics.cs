using ImcSharp.Config;
using ImcSharp.Memory;
using TorchSharp;
using static TorchSharp.torch;

namespace ImcSharp.Crossbar;

/// <summary>
/// Column physics as pure functions of the programmed cells. Everything is folded into a
/// per-column gain and offset in signal units, so the runtime stays one batched matmul.
/// </summary>
public static class ArrayPhysics
{
    /// <summary>
    /// Physical value of one signal unit and its quantity.
    /// Current mode: V_unit * dG (A), V_unit = V_read / (2^c - 1), dG = (G_max - G_min)/(levels - 1);
    /// SRAM: I_cell / (2^c - 1) (pulse-width inputs).
    /// Charge mode: V_unit / ((levels - 1) R) (V), V_unit = V_supply / (2^c - 1): an ideal column of
    /// R unit capacitors shares the charge sum_i C V_unit x_i d_i / (levels - 1) over R C.
    /// </summary>
    public static (double Unit, string Quantity) SignalUnit(LayerHardware hw)
    {
        var core = hw.Core;
        double inputSteps = Math.Pow(2, core.CycleBits) - 1;
        int top = (1 << core.BitsPerCell) - 1;
        if (hw.Array.Mode == ArrayMode.Charge)
            return (hw.Array.SupplyVoltage / inputSteps / (top * core.Rows), "V");
        if (hw.Cell.Kind == CellKind.Sram)
            return (hw.Cell.CellCurrent / inputSteps, "A");
        return (hw.Array.ReadVoltage / inputSteps * (hw.Cell.GMax - hw.Cell.GMin) / top, "A");
    }

    /// <summary>Largest |partial sum| of one column in signal units: R (2^c - 1)(levels - 1).</summary>
    public static double FullScaleUnits(CoreConfig core) =>
        core.Rows * (Math.Pow(2, core.CycleBits) - 1) * ((1 << core.BitsPerCell) - 1);

    /// <summary>
    /// Per-column gain [T, 1, cols] from the column's own cells.
    /// Current mode, first-order IR drop: with wire resistance r per cell segment the bit line
    /// rises on average by dV = r (R/2) I_col, which every cell's current loses as dV G_i, so
    /// I_meas = I / (1 + r (R/2) G_col), G_col = sum_i G_i (S). Without wire resistance: 1.
    /// Charge mode: V_bl = sum(C_i V_i)/(sum C_i + C_par), i.e. gain R C_u / (sum_i C_i + C_par)
    /// against the ideal R C_u.
    /// </summary>
    public static Tensor? ColumnGain(LayerHardware hw, CellState cells)
    {
        if (hw.Array.Mode == ArrayMode.Charge)
        {
            double rows = hw.Core.Rows;
            double cPar = hw.Array.ParasiticCapacitance / hw.Cell.UnitCapacitance;
            var capSum = cells.CapacitanceRatio is { } ratio ? ratio.sum(1, keepdim: true) : full(new long[] { 1 }, rows);
            if (cells.CapacitanceRatio is null && cPar == 0) return null;
            return capSum.add(cPar).reciprocal_().mul_(rows);
        }
        if (hw.Array.WireResistance > 0 && cells.Conductance is { } g)
            return g.sum(1, keepdim: true).mul_(hw.Array.WireResistance * hw.Core.Rows / 2).add_(1).reciprocal_();
        return null;
    }
}
