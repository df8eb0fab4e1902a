using ImcSharp.Config;
using ImcSharp.Memory;
using static TorchSharp.torch;

namespace ImcSharp.Crossbar;

/// <summary>
/// An array solver whose physics is linear in the inputs solves each array once, when a chip is
/// programmed, and gives the cells' levels as the arrays deliver them; reads are then the
/// first-order matmul on those levels (see <see cref="IrDropArray"/>). A solver that is not one
/// leaves the first-order levels: the cells' contributions with the array mode's column gains.
/// Kept apart from <see cref="IArrayStage"/>, which reads programmed chips, so that programming
/// a chip never calls back into what reads it.
/// </summary>
public interface IArrayCircuit
{
    /// <summary>
    /// The levels of each side [T, R, columns] in signal units per input digit, level-0 current
    /// included, of cells <paramref name="positive"/> and <paramref name="negative"/> laid out as
    /// <paramref name="sliced"/> on <paramref name="hw"/>'s arrays.
    /// </summary>
    (Tensor Positive, Tensor Negative) SolvedLevels(LayerHardware hw, CellState positive, CellState negative,
        SlicedWeights sliced);
}
