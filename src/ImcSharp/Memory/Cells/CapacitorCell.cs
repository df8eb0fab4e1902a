using ImcSharp.Config;
using TorchSharp;
using static TorchSharp.torch;

namespace ImcSharp.Memory;

/// <summary>
/// SRAM cell with a MOM capacitor (charge mode): C_i = C_unit (1 + sigma_C eps) for every cell;
/// contribution = d C_i / C_unit. 300 F^2.
/// </summary>
public sealed class CapacitorCell : CellTechnology
{
    /// <inheritdoc/>
    public override string Kind => CellKind.Capacitor;
    /// <inheritdoc/>
    public override bool WorksIn(string mode) => mode == ArrayMode.Charge;
    /// <inheritdoc/>
    public override double AreaF2 => 300;

    /// <inheritdoc/>
    public override CellState Program(CellConfig cell, int levels, Tensor digits, Generator gen)
    {
        var ratio = cell.CapacitorSigma > 0 ? randn(digits.Sizes(), generator: gen) * cell.CapacitorSigma + 1
            : ones_like(digits);
        return new CellState(digits * ratio, 0, null, ratio, null);
    }

    /// <inheritdoc/>
    public override double UnitCurrent(CellConfig cell, ArrayConfig array, double inputSteps, int topLevel) =>
        throw new InvalidOperationException("capacitor cells sum charge, not current");
}
