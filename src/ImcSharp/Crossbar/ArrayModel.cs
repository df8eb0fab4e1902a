using ImcSharp.Config;
using ImcSharp.Memory;
using TorchSharp;
using static TorchSharp.torch;

namespace ImcSharp.Crossbar;

/// <summary>
/// An array mode: how a column sums its cells (the physical value of one signal unit, the
/// per-column gain and offset folded in at programming) and what a read costs. One class per mode
/// (Crossbar/ArrayModes), registered by <see cref="Mode"/> (<c>array.mode</c>); the first-order
/// runtime (<see cref="FirstOrderArray"/>) then applies what it folded in.
/// </summary>
public abstract class ArrayModel : IArrayMode
{
    /// <inheritdoc/>
    public abstract string Mode { get; }
    /// <inheritdoc/>
    public virtual void Validate(ArrayConfig array, CellConfig cell, ConfigErrors e, string at) { }

    /// <summary>Physical value of one signal unit and its quantity ("A", "V").</summary>
    public abstract (double Unit, string Quantity) SignalUnit(LayerHardware hw);

    /// <summary>Per-column gain [T, 1, cols] from the column's own cells, or null for 1.</summary>
    public abstract Tensor? ColumnGain(LayerHardware hw, CellState cells);

    /// <summary>
    /// Per-column additive offset [T, cols, 1] in signal units drawn from <paramref name="gen"/>, or null.
    /// </summary>
    public virtual Tensor? ColumnOffset(LayerHardware hw, int tiles, int columns, double unit, Generator gen) => null;

    /// <summary>Voltage the row drivers swing (V).</summary>
    public abstract double DriveVoltage(LayerHardware hw);

    /// <summary>Energy (J) of one cell in one input cycle, at the cost config's input and cell activity.</summary>
    public abstract double CellEnergy(LayerHardware hw, CostConfig cost);

    /// <summary>
    /// Capacitance (F) each physical column charges to the drive voltage per input cycle beyond its cells (a bit line's
    /// parasitic).
    /// </summary>
    public virtual double ColumnCapacitance(LayerHardware hw) => 0;

    /// <summary>The model of the config's <c>array.mode</c>.</summary>
    public static ArrayModel Of(ArrayConfig array) => (ArrayModel)ArrayModes.Of(array);
}
