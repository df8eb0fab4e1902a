namespace ImcSharp.Config;

public enum ArrayMode { Current, Charge }

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
    public ArrayMode Mode { get; init; } = ArrayMode.Current;
    public double ReadVoltage { get; init; } = 0.2;
    public double WireResistance { get; init; }
    public double? MaxColumnCurrent { get; init; }
    public double SupplyVoltage { get; init; } = 0.8;
    public double ParasiticCapacitance { get; init; }
    public double OffsetSigma { get; init; }

    public void Validate(ConfigErrors e, string at, CellConfig cell)
    {
        e.Positive(at + "read_voltage", ReadVoltage);
        e.Positive(at + "wire_resistance", WireResistance, allowZero: true);
        if (MaxColumnCurrent is { } m) e.Positive(at + "max_column_current", m);
        e.Positive(at + "supply_voltage", SupplyVoltage);
        e.Positive(at + "parasitic_capacitance", ParasiticCapacitance, allowZero: true);
        e.Sigma(at + "offset_sigma", OffsetSigma);
        if (Mode == ArrayMode.Current && cell.Kind == CellKind.Capacitor)
            e.Add("cell.kind", "capacitor", "capacitor cells need array.mode = charge");
        if (Mode == ArrayMode.Charge && cell.Kind is CellKind.Rram or CellKind.Sram)
            e.Add("cell.kind", cell.Kind.ToString().ToLowerInvariant(), "charge mode needs capacitor (or ideal) cells");
        if (WireResistance > 0 && cell.Kind != CellKind.Rram)
            e.Add(at + "wire_resistance", WireResistance, "the IR-drop model needs RRAM cells (absolute conductances)");
        if (Mode == ArrayMode.Charge && MaxColumnCurrent is not null)
            e.Add(at + "max_column_current", MaxColumnCurrent, "applies to current mode only");
    }
}
