using ImcSharp.Config;
using ImcSharp.Memory;
using TorchSharp;
using static TorchSharp.torch;

namespace ImcSharp.Crossbar;

/// <summary>
/// Current-mode arrays with input-dependent IR drop (<c>array.solver: "ir-drop"</c>): each array's
/// resistive network (<see cref="IrDropNetwork"/>: word-line segments of <c>wire_resistance</c>, bit-line
/// segments of <c>bit_line_resistance</c> (default the same), <c>driver_resistance</c>,
/// <c>sense_resistance</c>) is solved once per chip, at programming, into its transfer matrix
/// (<see cref="IrDropCircuit.Transfer"/>): linear cells make the column currents linear in the row
/// voltages, so that matrix gives every input its exact currents, sneak paths included, and a read is
/// the first-order stage's matmul on it. A cell's level is then M_ji V_read / (2^c - 1) / I_unit:
/// its column's current per input digit in signal units, level-0 current included (it no longer
/// cancels exactly between a pair's columns). Placement: a tile's physical columns fill arrays of
/// <c>core.columns</c> side by side, a differential pair's two columns next to each other; offset
/// mapping's reference columns form one more array of S columns on the same word lines' drivers.
/// Read noise and column offsets are the first-order stage's (the drop scales the noise by less
/// than it scales the signal, which this leaves out).
/// </summary>
public class IrDropArray : IArrayStage, IArrayCircuit
{
    /// <inheritdoc/>
    public virtual string Solver => ArraySolver.IrDrop;

    /// <inheritdoc/>
    public virtual void Validate(ArrayConfig array, CellConfig cell, ConfigErrors e, string at)
    {
        if (array.Mode != ArrayMode.Current)
            e.Add(at + "solver", Solver, $"models current-mode arrays only (array.mode is {array.Mode})");
        if (CellKinds.All.TryGet(cell.Kind, out var kind) && !kind.HasConductance)
            e.Add(at + "solver", Solver, $"needs cells with absolute conductances (RRAM), not {cell.Kind}");
    }

    /// <inheritdoc/>
    public bool TakesStacks => true;

    /// <inheritdoc/>
    public Tensor PartialSums(ProgrammedLayer layer, Tensor digits) =>
        FirstOrderArray.Instance.PartialSums(layer, digits);

    /// <inheritdoc/>
    public Tensor ConvPartialSums(ProgrammedLayer layer, Tensor digits, ConvGeometry conv) =>
        FirstOrderArray.Instance.ConvPartialSums(layer, digits, conv);

    /// <summary>The network <paramref name="array"/> describes.</summary>
    public static IrDropNetwork Network(ArrayConfig array) => new(array.WireResistance,
        array.BitLineResistance ?? array.WireResistance, array.DriverResistance, array.SenseResistance);

    /// <summary>Transfer matrices [A, C, R] (S) of arrays with conductances [A, R, C] (S).</summary>
    protected virtual Tensor Transfer(Tensor conductances, IrDropNetwork network) =>
        IrDropCircuit.Transfer(conductances, network).Transfer;

    /// <inheritdoc/>
    public (Tensor Positive, Tensor Negative) SolvedLevels(LayerHardware hw, CellState positive, CellState negative,
        SlicedWeights sliced)
    {
        if (positive.Conductance is not { } gp || negative.Conductance is not { } gn)
            throw new InvalidOperationException($"{Solver}: the cells carry no conductances");
        using var g = no_grad();
        long T = gp.size(0), R = gp.size(1), signal = gp.size(2);
        if (signal != sliced.SignalColumns) throw new InvalidOperationException($"{Solver}: unexpected cell layout");
        int C = hw.Core.Columns;
        var unit = ArrayPhysics.SignalUnit(hw).Unit;
        double perDigit = hw.Array.ReadVoltage / (Math.Pow(2, hw.Core.CycleBits) - 1) / unit;
        var network = Network(hw.Array);
        Tensor Solve(Tensor physical, int perArray)                          // [T, R, P] -> levels [T, R, P]
        {
            long P = physical.size(2), arrays = (P + perArray - 1) / perArray, width = Math.Min(perArray, P);
            var padded = nn.functional.pad(physical.to_type(ScalarType.Float64), new long[] { 0, arrays * width - P });
            var cells = padded.view(T, R, arrays, width).permute(0, 2, 1, 3).reshape(T * arrays, R, width);
            var m = Transfer(cells, network);                                    // [T A, width, R]
            var levels = m.view(T, arrays, width, R).permute(0, 3, 1, 2).reshape(T, R, arrays * width);
            return levels.narrow(2, 0, P).mul(perDigit).to_type(ScalarType.Float32);
        }
        if (sliced.SharedReference)
            return (Solve(gp, C), Solve(gn, C));
        // A pair's columns side by side: (p0, n0, p1, n1, ...), whole pairs per array.
        var both = stack(new[] { gp, gn }, 3).view(T, R, 2 * signal);
        var solved = Solve(both, 2 * hw.Core.SignalColumnsPerArray).view(T, R, signal, 2);
        return (solved.select(3, 0).contiguous(), solved.select(3, 1).contiguous());
    }
}

/// <summary>
/// The same arrays solved by nodal analysis (<see cref="IrDropExact"/>, <c>array.solver: "ir-drop-exact"</c>):
/// the reference for the conjugate-gradient solver, for arrays of up to 64 x 64 cells.
/// </summary>
public sealed class IrDropExactArray : IrDropArray
{
    /// <summary>The largest array (cells) the nodal solver takes.</summary>
    public const int MaxCells = 64 * 64;

    /// <inheritdoc/>
    public override string Solver => ArraySolver.IrDropExact;

    /// <inheritdoc/>
    public override void Validate(ArrayConfig array, CellConfig cell, ConfigErrors e, string at)
    {
        base.Validate(array, cell, e, at);
        if (array.WireResistance <= 0 || (array.BitLineResistance ?? array.WireResistance) <= 0)
            e.Add(at + "solver", Solver, "nodal analysis needs wire_resistance (and bit_line_resistance) above 0 ohm");
    }

    /// <inheritdoc/>
    protected override Tensor Transfer(Tensor conductances, IrDropNetwork network)
    {
        long arrays = conductances.size(0), R = conductances.size(1), C = conductances.size(2);
        if (R * C > MaxCells)
            throw new ImcInputException("array.solver", Solver,
                $"nodal analysis takes arrays of up to {MaxCells} cells, not {R} x {C}: use ir-drop");
        var result = zeros(new[] { arrays, C, R }, ScalarType.Float64);
        var all = conductances.to_type(ScalarType.Float64).cpu().data<double>().ToArray();
        for (long a = 0; a < arrays; a++)
        {
            var g = new double[R, C];
            for (long i = 0; i < R; i++)
                for (long j = 0; j < C; j++) g[i, j] = all[(a * R + i) * C + j];
            var m = IrDropExact.Transfer(g, network);
            result[a].copy_(tensor(m.Cast<double>().ToArray(), new[] { C, R }, ScalarType.Float64));
        }
        return result;
    }
}
