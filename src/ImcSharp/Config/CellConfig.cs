namespace ImcSharp.Config;

public enum CellKind { Ideal, Rram, Sram, Capacitor }

/// <summary>
/// The memory cell. RRAM: conductance levels G_min..G_max (S), state-dependent programming error
/// sigma(G) interpolated between <see cref="ProgrammingSigmaAtGmin"/> and
/// <see cref="ProgrammingSigma"/> (both as fractions of G_max), relative read noise per read,
/// stuck-at-G_max / stuck-at-G_min rates. SRAM: binary cell whose on-current
/// <see cref="CellCurrent"/> (A) varies by <see cref="CurrentSigma"/> (sigma/mu). Capacitor (charge
/// mode): unit capacitance <see cref="UnitCapacitance"/> (F) with mismatch
/// <see cref="CapacitorSigma"/> (sigma of dC/C). Ideal: exact levels, no error.
/// </summary>
public sealed record CellConfig
{
    public CellKind Kind { get; init; } = CellKind.Ideal;
    public double GMin { get; init; } = 1e-6;
    public double GMax { get; init; } = 50e-6;
    public double ProgrammingSigma { get; init; }
    public double ProgrammingSigmaAtGmin { get; init; }
    public double ReadNoise { get; init; }
    public double StuckOnRate { get; init; }
    public double StuckOffRate { get; init; }
    public double CellCurrent { get; init; } = 1e-6;
    public double CurrentSigma { get; init; }
    public double UnitCapacitance { get; init; } = 1e-15;
    public double CapacitorSigma { get; init; }

    /// <summary>Nominal cells: exact levels, no programming or read noise, no stuck cells, no mismatch.</summary>
    public CellConfig Nominal() => this with
    {
        ProgrammingSigma = 0, ProgrammingSigmaAtGmin = 0, ReadNoise = 0, StuckOnRate = 0, StuckOffRate = 0,
        CurrentSigma = 0, CapacitorSigma = 0,
    };

    public void Validate(ConfigErrors e, string at, CoreConfig core)
    {
        e.Positive(at + "g_min", GMin, allowZero: true);
        e.Positive(at + "g_max", GMax);
        if (GMax <= GMin) e.Add(at + "g_max", GMax, $"must exceed {at}g_min ({GMin})");
        e.Sigma(at + "programming_sigma", ProgrammingSigma);
        e.Sigma(at + "programming_sigma_at_gmin", ProgrammingSigmaAtGmin);
        e.Sigma(at + "read_noise", ReadNoise);
        e.Probability(at + "stuck_on_rate", StuckOnRate);
        e.Probability(at + "stuck_off_rate", StuckOffRate);
        if (StuckOnRate + StuckOffRate > 1) e.Add(at + "stuck_off_rate", StuckOffRate, "stuck_on_rate + stuck_off_rate must not exceed 1");
        e.Positive(at + "cell_current", CellCurrent);
        e.Sigma(at + "current_sigma", CurrentSigma);
        e.Positive(at + "unit_capacitance", UnitCapacitance);
        e.Sigma(at + "capacitor_sigma", CapacitorSigma);
        if (Kind == CellKind.Sram && core.BitsPerCell != 1)
            e.Add("core.bits_per_cell", core.BitsPerCell, "an SRAM bit cell stores 1 bit: set bits_per_cell to 1");
    }
}
