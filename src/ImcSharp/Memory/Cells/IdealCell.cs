using ImcSharp.Config;
using TorchSharp;
using static TorchSharp.torch;

namespace ImcSharp.Memory;

/// <summary>Ideal cells: the contribution is the digit exactly, no error; sums in any array mode.</summary>
public sealed class IdealCell : CellTechnology
{
    /// <inheritdoc/>
    public override string Kind => CellKind.Ideal;
    /// <inheritdoc/>
    public override bool WorksIn(string mode) => true;
    /// <inheritdoc/>
    public override CellState Program(CellConfig cell, int levels, Tensor digits, Generator gen) =>
        new(digits.clone(), 0, null, null, null);
}
