using ImcSharp.Config;
using ImcSharp.Memory;
using TorchSharp;
using static TorchSharp.torch;

namespace ImcSharp.Crossbar;

/// <summary>
/// Column physics as pure functions of the programmed cells, by the config's array mode
/// (<see cref="ArrayModel"/>, one class per mode in Crossbar/ArrayModes). Everything is folded into
/// a per-column gain and offset in signal units, so the runtime stays one batched matmul.
/// </summary>
public static class ArrayPhysics
{
    /// <summary>Physical value of one signal unit and its quantity (see the array modes).</summary>
    public static (double Unit, string Quantity) SignalUnit(LayerHardware hw) => ArrayModel.Of(hw.Array).SignalUnit(hw);

    /// <summary>Largest |partial sum| of one column in signal units: R (2^c - 1)(levels - 1).</summary>
    public static double FullScaleUnits(CoreConfig core) =>
        core.Rows * (Math.Pow(2, core.CycleBits) - 1) * ((1 << core.BitsPerCell) - 1);

    /// <summary>
    /// Per-column gain [T, 1, cols] from the column's own cells (IR drop, charge sharing), or null for 1.
    /// </summary>
    public static Tensor? ColumnGain(LayerHardware hw, CellState cells) =>
        ArrayModel.Of(hw.Array).ColumnGain(hw, cells);
}
