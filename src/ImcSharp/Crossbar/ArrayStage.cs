using ImcSharp.Config;
using TorchSharp;
using static TorchSharp.torch;

namespace ImcSharp.Crossbar;

/// <summary>
/// The array stage: what the arrays of a programmed layer put on their columns for a batch of
/// input digits, before the ADCs. Chosen by name (<c>array.solver</c>, <see cref="ArraySolvers"/>),
/// so an input-dependent circuit solver (IR drop along word and bit lines, a non-linear I-V cell,
/// drift) can stand in for the first-order model: a new one is a class with a parameterless
/// constructor (found in ImcSharp, or registered with <c>ArraySolvers.All.Register</c>) and the config value.
/// </summary>
public interface IArrayStage : IArraySolver
{
    /// <summary>The stage <paramref name="array"/> names.</summary>
    static IArrayStage Of(ArrayConfig array) => ArraySolvers.Of(array) as IArrayStage
        ?? throw new ImcInputException("array.solver", array.Solver,
            "is registered but computes no partial sums (not an IArrayStage)");

    /// <summary>
    /// Partial sums [T, P*B, J] in each converted column's ADC LSBs (see <see cref="AnalogMvm.PartialSums"/>)
    /// for input digits <paramref name="digits"/> [T, P*B, rows] (rows = the core's rows, or the
    /// layer's inputs when it fits one tile), on the cells <paramref name="layer"/> was programmed with.
    /// </summary>
    Tensor PartialSums(ProgrammedLayer layer, Tensor digits);

    /// <summary>
    /// Partial sums [T, P*B*L, J] of a convolution for input digit images <paramref name="digits"/>
    /// [P*B, C, H, W] (row order: phase, sample, output pixel; see <see cref="ConvGeometry"/>).
    /// A stage that only implements <see cref="PartialSums"/> gets the unfolded input vectors.
    /// </summary>
    Tensor ConvPartialSums(ProgrammedLayer layer, Tensor digits, ConvGeometry conv) =>
        PartialSums(layer, InputEncoding.TileRows(layer, conv.Unfold(digits)));

    /// <summary>
    /// Whether <see cref="PartialSums"/> takes a stack of chips (<see cref="ProgrammedLayer.Stack"/>:
    /// K T tiles, each chip's noise from its own member); a stage that does not is called once per chip.
    /// </summary>
    bool TakesStacks => false;
}
