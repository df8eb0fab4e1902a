namespace ImcSharp.Config;

/// <summary>The names of the cell technologies ImcSharp ships (<c>cell.kind</c>); others register in <see cref="CellKinds"/>.</summary>
public static class CellKind
{
    public const string Ideal = "ideal", Rram = "rram", Sram = "sram", Capacitor = "capacitor";
}

/// <summary>
/// What the configuration layer needs of a memory-cell technology: its name (<c>cell.kind</c>),
/// the array modes it sums in, and its own checks. Implemented by <c>Memory.CellTechnology</c>,
/// which adds the programming model and the cell's cost.
/// </summary>
public interface ICellKind
{
    string Kind { get; }
    /// <summary>Whether its cells can sum in array mode <paramref name="mode"/> (<c>array.mode</c>).</summary>
    bool WorksIn(string mode);
    /// <summary>Holds absolute conductances (what the IR-drop model needs).</summary>
    bool HasConductance { get; }
    void Validate(CellConfig cell, ConfigErrors e, string at, CoreConfig core);
}

/// <summary>The cell technologies, registered by name (see <see cref="Registry{T}"/>).</summary>
public static class CellKinds
{
    public static Registry<ICellKind> All { get; } = new("cell technology", k => k.Kind);
    public static ICellKind Of(CellConfig cell) => All.Get(cell.Kind, "cell.kind");
}

/// <summary>
/// The memory cell. RRAM: conductance levels G_min..G_max (S), state-dependent programming error
/// sigma(G) interpolated between <see cref="ProgrammingSigmaAtGmin"/> and
/// <see cref="ProgrammingSigma"/> (both as fractions of G_max), relative read noise per read,
/// stuck-at-G_max / stuck-at-G_min rates. SRAM: binary cell whose on-current
/// <see cref="CellCurrent"/> (A) varies by <see cref="CurrentSigma"/> (sigma/mu). Capacitor (charge
/// mode): unit capacitance <see cref="UnitCapacitance"/> (F) with mismatch
/// <see cref="CapacitorSigma"/> (sigma of dC/C). Ideal: exact levels, no error. The fields are
/// those of the technologies ImcSharp ships (each reads its own); a technology registered from
/// outside reads its parameters from <see cref="Parameters"/>.
/// </summary>
public sealed record CellConfig
{
    public string Kind { get; init; } = CellKind.Ideal;
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
    /// <summary>Parameters of a technology registered from outside ImcSharp (its own record, read by the technology); null for the shipped ones.</summary>
    [System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)]
    public System.Text.Json.JsonElement? Parameters { get; init; }

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
        if (!CellKinds.All.TryGet(Kind, out var kind)) e.Add(at + "kind", Kind, $"expected one of: {string.Join(", ", CellKinds.All.Names)}");
        else kind.Validate(this, e, at, core);
        // The shipped technologies read the fields above; a parameters block would be ignored.
        if (Parameters is not null && Kind is CellKind.Ideal or CellKind.Rram or CellKind.Sram or CellKind.Capacitor)
            e.Add(at + "parameters", "{...}", $"only a technology registered from outside ImcSharp reads a parameters block; '{Kind}' reads the cell's own fields (g_min, programming_sigma, ...)");
    }
}
