using ImcSharp.Config;
using TorchSharp;
using static TorchSharp.torch;

namespace ImcSharp.Memory;

/// <summary>
/// A memory-cell technology: how cells holding weight digits are programmed (their persistent
/// errors drawn once per chip), what one cell contributes to a current-mode column, and its cost.
/// One class per technology (Memory/Cells), registered by <see cref="Kind"/> (<c>cell.kind</c>);
/// a technology defined outside ImcSharp registers with <see cref="CellKinds.All"/> and reads its
/// own parameter record from <see cref="CellConfig.Parameters"/>.
/// </summary>
public abstract class CellTechnology : ICellKind
{
    /// <inheritdoc/>
    public abstract string Kind { get; }
    /// <inheritdoc/>
    public abstract bool WorksIn(string mode);
    /// <inheritdoc/>
    public virtual bool HasConductance => false;
    /// <inheritdoc/>
    public virtual void Validate(CellConfig cell, ConfigErrors e, string at, CoreConfig core) { }

    /// <summary>
    /// Programs cells holding <paramref name="digits"/> (0 .. levels - 1, any shape), drawing their
    /// errors from <paramref name="gen"/> (see <see cref="CellState"/> for the units).
    /// </summary>
    public abstract CellState Program(CellConfig cell, int levels, Tensor digits, Generator gen);

    /// <summary>
    /// The same cells as <see cref="Program(CellConfig, int, Tensor, Generator)"/>, bit for bit and
    /// from the same draws, in a fused CPU kernel; null (nothing drawn) where the technology has
    /// none or the digits' layout does not suit it. <see cref="CellModels.Program"/> chooses, from
    /// the compute target: a technology writes its physics once, in the reference form, and may add this.
    /// </summary>
    public virtual CellState? ProgramFused(CellConfig cell, int levels, Tensor digits, Generator gen) => null;

    /// <summary>
    /// Current mode: the column current (A) of one signal unit, a cell one level above level 0
    /// driven by one of the <paramref name="inputSteps"/> input steps. Conductances: V_read /
    /// steps x (G_max - G_min) / top level.
    /// </summary>
    public virtual double UnitCurrent(CellConfig cell, ArrayConfig array, double inputSteps, int topLevel) =>
        array.ReadVoltage / inputSteps * (cell.GMax - cell.GMin) / topLevel;

    /// <summary>
    /// Current mode: power (W) of one cell read at <paramref name="voltage"/>, at the cell's average activity: (G_min +
    /// a (G_max - G_min)) V^2.
    /// </summary>
    public virtual double ReadPower(CellConfig cell, double voltage, CostConfig cost) =>
        (cell.GMin + cost.CellActivity * (cell.GMax - cell.GMin)) * voltage * voltage;

    /// <summary>Cell footprint in F^2 (<c>cost.cell_area_f2</c> overrides).</summary>
    public virtual double AreaF2 => 30;

    /// <summary>The technology of the config's <c>cell.kind</c>.</summary>
    public static CellTechnology Of(CellConfig cell) => (CellTechnology)CellKinds.Of(cell);
}
