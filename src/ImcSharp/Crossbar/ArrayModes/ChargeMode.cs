using ImcSharp.Config;
using ImcSharp.Memory;
using TorchSharp;
using static TorchSharp.torch;

namespace ImcSharp.Crossbar;

/// <summary>
/// Charge mode: each cell's capacitor takes C_i V_i, charge sharing gives
/// V_bl = sum(C_i V_i) / (sum C_i + C_par), with V_i = digit_i V_supply / (2^c - 1) scaled by the
/// cell level. One signal unit is V_unit / ((levels - 1) R) (V): an ideal column of R unit
/// capacitors shares sum_i C V_unit x_i d_i / (levels - 1) over R C. Column gain
/// R C_u / (sum_i C_i + C_par) against that ideal; a per-column offset of sigma
/// <c>array.offset_sigma</c> (V) from charge injection. Energy per cell and cycle: input activity x
/// cell activity x C_u (levels - 1) V_supply^2; per column: C_par V_supply^2.
/// </summary>
public sealed class ChargeMode : ArrayModel
{
    /// <inheritdoc/>
    public override string Mode => ArrayMode.Charge;

    /// <inheritdoc/>
    public override void Validate(ArrayConfig array, CellConfig cell, ConfigErrors e, string at)
    {
        if (array.MaxColumnCurrent is not null) e.Add(at + "max_column_current", array.MaxColumnCurrent,
            "applies to current mode only");
    }

    /// <inheritdoc/>
    public override (double Unit, string Quantity) SignalUnit(LayerHardware hw)
    {
        double inputSteps = Math.Pow(2, hw.Core.CycleBits) - 1;
        int top = (1 << hw.Core.BitsPerCell) - 1;
        return (hw.Array.SupplyVoltage / inputSteps / (top * hw.Core.Rows), "V");
    }

    /// <inheritdoc/>
    public override Tensor? ColumnGain(LayerHardware hw, CellState cells)
    {
        double rows = hw.Core.Rows;
        double cPar = hw.Array.ParasiticCapacitance / hw.Cell.UnitCapacitance;
        if (cells.CapacitanceRatio is null && cPar == 0) return null;
        var capSum = cells.CapacitanceRatio is { } ratio ? ratio.sum(1, keepdim: true) : full(new long[] { 1 }, rows);
        return capSum.add(cPar).reciprocal_().mul_(rows);
    }

    /// <inheritdoc/>
    public override Tensor? ColumnOffset(LayerHardware hw, int tiles, int columns, double unit, Generator gen) =>
        hw.Array.OffsetSigma > 0
            ? randn(new long[] { tiles, columns, 1 }, generator: gen) * (hw.Array.OffsetSigma / unit) : null;

    /// <inheritdoc/>
    public override double DriveVoltage(LayerHardware hw) => hw.Array.SupplyVoltage;

    /// <inheritdoc/>
    public override double CellEnergy(LayerHardware hw, CostConfig cost) =>
        cost.InputActivity * cost.CellActivity * hw.Cell.UnitCapacitance * ((1 << hw.Core.BitsPerCell) - 1)
            * hw.Array.SupplyVoltage * hw.Array.SupplyVoltage;

    /// <inheritdoc/>
    public override double ColumnCapacitance(LayerHardware hw) => hw.Array.ParasiticCapacitance;
}
