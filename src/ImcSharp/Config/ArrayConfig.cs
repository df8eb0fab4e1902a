using System.Text.Json.Serialization;

namespace ImcSharp.Config;

/// <summary>
/// The names of the array modes ImcSharp ships (<c>array.mode</c>); others register in <see cref="ArrayModes"/>.
/// </summary>
public static class ArrayMode
{
    /// <summary>Current mode (column currents) and charge mode (charge sharing).</summary>
    public const string Current = "current", Charge = "charge";
}

/// <summary>
/// What the configuration layer needs of an array mode: its name (<c>array.mode</c>) and its own
/// checks. Implemented by <c>Crossbar.ArrayModel</c>, which adds the column physics and its energy.
/// </summary>
public interface IArrayMode
{
    /// <summary>The name in <c>array.mode</c>.</summary>
    string Mode { get; }
    /// <summary>The mode's own checks of the array block (with the cell it sums).</summary>
    void Validate(ArrayConfig array, CellConfig cell, ConfigErrors e, string at);
}

/// <summary>The array modes, registered by name (see <see cref="Registry{T}"/>).</summary>
public static class ArrayModes
{
    /// <summary>The registry; a program adds its own with <c>ArrayModes.All.Register(...)</c>.</summary>
    public static Registry<IArrayMode> All { get; } = new("array mode", m => m.Mode);
    /// <summary>The mode <c>array.mode</c> names, or one error listing the known ones.</summary>
    public static IArrayMode Of(ArrayConfig array) => All.Get(array.Mode, "array.mode");
}

/// <summary>
/// The name of the array solver ImcSharp ships (<c>array.solver</c>); others register in <see cref="ArraySolvers"/>.
/// </summary>
public static class ArraySolver
{
    /// <summary>
    /// The first-order column model: linear in the digits, gains and IR drop folded in at programming.
    /// </summary>
    public const string FirstOrder = "first-order";
    /// <summary>
    /// Input-dependent IR drop: each array's resistive network solved at programming (conjugate gradients).
    /// </summary>
    public const string IrDrop = "ir-drop";
    /// <summary>The same network by nodal analysis (a direct solve), the reference for small arrays.</summary>
    public const string IrDropExact = "ir-drop-exact";
}

/// <summary>
/// What the configuration layer needs of an array solver, the model of what the arrays put on
/// their columns: its name (<c>array.solver</c>) and its own checks. Implemented by
/// <c>Crossbar.IArrayStage</c>, which adds the partial sums.
/// </summary>
public interface IArraySolver
{
    /// <summary>The name in <c>array.solver</c>.</summary>
    string Solver { get; }
    /// <summary>Refuses the array modes, cells or settings the solver does not model.</summary>
    void Validate(ArrayConfig array, CellConfig cell, ConfigErrors e, string at) { }
}

/// <summary>
/// The array solvers, registered by name (see <see cref="Registry{T}"/>): a new one is a class and a config value.
/// </summary>
public static class ArraySolvers
{
    /// <summary>The registry; a program adds its own with <c>ArraySolvers.All.Register(...)</c>.</summary>
    public static Registry<IArraySolver> All { get; } = new("array solver", s => s.Solver);
    /// <summary>The solver <c>array.solver</c> names, or one error listing the known ones.</summary>
    public static IArraySolver Of(ArrayConfig array) => All.Get(array.Solver, "array.solver");
}

/// <summary>
/// How a column sums. Current mode: I_j = sum_i V_i G_ij with V_i = digit_i * ReadVoltage /
/// (2^cycle_bits - 1); first-order IR drop from <see cref="WireResistance"/> (ohm per cell
/// segment); optional saturation at <see cref="MaxColumnCurrent"/> (A). Charge mode: each cell's
/// capacitor takes C_i V_i, charge sharing gives V_bl = sum(C_i V_i) / (sum C_i + C_par), with
/// V_i = digit_i * SupplyVoltage / (2^cycle_bits - 1) scaled by the cell level, a bit-line
/// parasitic <see cref="ParasiticCapacitance"/> (F) and a per-column offset of sigma
/// <see cref="OffsetSigma"/> (V) from charge injection.
/// </summary>
public sealed record ArrayConfig
{
    /// <summary>
    /// The array mode: current (column currents) or charge (charge sharing); see <see cref="ArrayModes"/>.
    /// </summary>
    public string Mode { get; init; } = ArrayMode.Current;
    /// <summary>
    /// The solver of the columns' sums (<see cref="ArraySolvers"/>): first-order (the model above) unless another is
    /// named.
    /// </summary>
    public string Solver { get; init; } = ArraySolver.FirstOrder;
    /// <summary>Current mode: read voltage of a full-scale input digit (V).</summary>
    public double ReadVoltage { get; init; } = 0.2;
    /// <summary>
    /// Current mode: wire resistance per cell segment (ohm): the first-order IR drop, or the word-line (and by
    /// default bit-line) segments of the ir-drop solvers.
    /// </summary>
    public double WireResistance { get; init; }
    /// <summary>
    /// Current mode, ir-drop solvers: bit-line resistance per cell segment (ohm); null: wire_resistance.
    /// </summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public double? BitLineResistance { get; init; }
    /// <summary>Current mode, ir-drop solvers: a row driver's output resistance (ohm).</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)]
    public double DriverResistance { get; init; }
    /// <summary>
    /// Current mode, ir-drop solvers: the sense node's input resistance to virtual ground (ohm; the converter's input).
    /// </summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)]
    public double SenseResistance { get; init; }
    /// <summary>Current mode: a physical column saturates at this current (A); null: no saturation.</summary>
    public double? MaxColumnCurrent { get; init; }
    /// <summary>Charge mode: supply voltage a full-scale input digit drives (V).</summary>
    public double SupplyVoltage { get; init; } = 0.8;
    /// <summary>Charge mode: bit-line parasitic capacitance (F).</summary>
    public double ParasiticCapacitance { get; init; }
    /// <summary>Charge mode: per-column offset from charge injection, sigma (V).</summary>
    public double OffsetSigma { get; init; }

    /// <summary>
    /// Checks every field, then the mode and the solver; errors are named with the prefix <paramref name="at"/>.
    /// </summary>
    public void Validate(ConfigErrors e, string at, CellConfig cell)
    {
        e.Positive(at + "read_voltage", ReadVoltage);
        e.Positive(at + "wire_resistance", WireResistance, allowZero: true);
        if (BitLineResistance is { } rb) e.Positive(at + "bit_line_resistance", rb, allowZero: true);
        e.Positive(at + "driver_resistance", DriverResistance, allowZero: true);
        e.Positive(at + "sense_resistance", SenseResistance, allowZero: true);
        bool solved = Solver is ArraySolver.IrDrop or ArraySolver.IrDropExact;
        foreach (var (name, value) in new[] { ("bit_line_resistance", BitLineResistance),
                     ("driver_resistance", DriverResistance), ("sense_resistance", (double?)SenseResistance) })
            if (value is not (null or 0) && !solved)
                e.Add(at + name, value,
                    $"is read only by the ir-drop solvers, not {Solver}: remove it or set array.solver");
        if (MaxColumnCurrent is { } m) e.Positive(at + "max_column_current", m);
        e.Positive(at + "supply_voltage", SupplyVoltage);
        e.Positive(at + "parasitic_capacitance", ParasiticCapacitance, allowZero: true);
        e.Sigma(at + "offset_sigma", OffsetSigma);
        if (!ArrayModes.All.TryGet(Mode, out var mode))
        {
            e.Add(at + "mode", Mode, $"expected one of: {string.Join(", ", ArrayModes.All.Names)}");
            return;
        }
        mode.Validate(this, cell, e, at);
        if (!ArraySolvers.All.TryGet(Solver, out var solver))
            e.Add(at + "solver", Solver, $"expected one of: {string.Join(", ", ArraySolvers.All.Names)}");
        else solver.Validate(this, cell, e, at);
        if (CellKinds.All.TryGet(cell.Kind, out var kind) && !kind.WorksIn(mode.Mode))
            e.Add("cell.kind", cell.Kind, $"{cell.Kind} cells do not sum in {mode.Mode} mode: use cells of " +
                  string.Join(", ",
                      CellKinds.All.Names.Where(n => CellKinds.All.TryGet(n, out var k) && k.WorksIn(mode.Mode)))
                      + $", or another array.mode");
        if (WireResistance > 0 && CellKinds.All.TryGet(cell.Kind, out var k2) && !k2.HasConductance)
            e.Add(at + "wire_resistance", WireResistance,
                "the IR-drop model needs cells with absolute conductances (RRAM)");
    }
}
