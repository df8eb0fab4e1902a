using ImcSharp.Config;
using TorchSharp;
using static TorchSharp.torch;

namespace ImcSharp.Memory;

/// <summary>
/// 8T SRAM bit cell (current mode): contribution = d (1 + sigma_I eps), the on-current mismatch;
/// one signal unit is I_cell per input step (pulse-width inputs); read power a I_cell V at the
/// cell's activity a. 200 F^2.
/// </summary>
public sealed class SramCell : CellTechnology
{
    /// <inheritdoc/>
    public override string Kind => CellKind.Sram;
    /// <inheritdoc/>
    public override bool WorksIn(string mode) => mode == ArrayMode.Current;
    /// <inheritdoc/>
    public override double AreaF2 => 200;

    /// <inheritdoc/>
    public override void Validate(CellConfig cell, ConfigErrors e, string at, CoreConfig core)
    {
        if (core.BitsPerCell != 1) e.Add("core.bits_per_cell", core.BitsPerCell,
            "an SRAM bit cell stores 1 bit: set bits_per_cell to 1");
    }

    /// <inheritdoc/>
    public override CellState Program(CellConfig cell, int levels, Tensor digits, Generator gen)
    {
        var factor =
            cell.CurrentSigma > 0 ? randn(digits.Sizes(), generator: gen) * cell.CurrentSigma + 1 : ones_like(digits);
        return new CellState(digits * factor, 0, null, null, null);
    }

    /// <summary>I_cell / (2^c - 1): pulse-width inputs, one step of the read pulse.</summary>
    public override double UnitCurrent(CellConfig cell, ArrayConfig array, double inputSteps, int topLevel) =>
        cell.CellCurrent / inputSteps;

    /// <inheritdoc/>
    public override double ReadPower(CellConfig cell, double voltage, CostConfig cost) =>
        cost.CellActivity * cell.CellCurrent * voltage;
}
