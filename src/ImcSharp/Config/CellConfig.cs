using System.Text.Json.Serialization;
namespace ImcSharp.Config;

/// <summary>
/// The names of the cell technologies ImcSharp ships (<c>cell.kind</c>); others register in <see cref="CellKinds"/>.
/// </summary>
public static class CellKind
{
    /// <summary>Exact levels, no error.</summary>
    public const string Ideal = "ideal";
    /// <summary>1T1R RRAM (current mode).</summary>
    public const string Rram = "rram";
    /// <summary>An SRAM bit cell (current mode).</summary>
    public const string Sram = "sram";
    /// <summary>A MOM capacitor cell (charge mode).</summary>
    public const string Capacitor = "capacitor";
}

/// <summary>
/// What the configuration layer needs of a memory-cell technology: its name (<c>cell.kind</c>),
/// the array modes it sums in, and its own checks. Implemented by <c>Memory.CellTechnology</c>,
/// which adds the programming model and the cell's cost.
/// </summary>
public interface ICellKind
{
    /// <summary>The name in <c>cell.kind</c>.</summary>
    string Kind { get; }
    /// <summary>Whether its cells can sum in array mode <paramref name="mode"/> (<c>array.mode</c>).</summary>
    bool WorksIn(string mode);
    /// <summary>Holds absolute conductances (what the IR-drop model needs).</summary>
    bool HasConductance { get; }
    /// <summary>The technology's own checks of the cell block (with the core it sits in).</summary>
    void Validate(CellConfig cell, ConfigErrors e, string at, CoreConfig core);
}

/// <summary>The cell technologies, registered by name (see <see cref="Registry{T}"/>).</summary>
public static class CellKinds
{
    /// <summary>The registry; a program adds its own with <c>CellKinds.All.Register(...)</c>.</summary>
    public static Registry<ICellKind> All { get; } = new("cell technology", k => k.Kind);
    /// <summary>The technology <c>cell.kind</c> names, or one error listing the known ones.</summary>
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
    /// <summary>The technology (<see cref="CellKind"/>: ideal, rram, sram, capacitor, or a registered one).</summary>
    public string Kind { get; init; } = CellKind.Ideal;
    /// <summary>RRAM: conductance of level 0 (S).</summary>
    public double GMin { get; init; } = 1e-6;
    /// <summary>RRAM: conductance of the top level (S).</summary>
    public double GMax { get; init; } = 50e-6;
    /// <summary>RRAM: programming error sigma at the top level, as a fraction of G_max.</summary>
    public double ProgrammingSigma { get; init; }
    /// <summary>
    /// RRAM: programming error sigma at level 0, as a fraction of G_max (linear in the level between).
    /// </summary>
    public double ProgrammingSigmaAtGmin { get; init; }
    /// <summary>RRAM: per-read noise sigma relative to the cell's conductance (fraction).</summary>
    public double ReadNoise { get; init; }
    /// <summary>RRAM: probability a cell is stuck at G_max (0..1).</summary>
    public double StuckOnRate { get; init; }
    /// <summary>RRAM: probability a cell is stuck at G_min (0..1).</summary>
    public double StuckOffRate { get; init; }
    /// <summary>
    /// RRAM: mean drift exponent nu (dimensionless): a cell read at time t after programming conducts
    /// G(t) = G(t0) (t / t0)^-nu. 0: no drift.
    /// </summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)]
    public double DriftNu { get; init; }
    /// <summary>RRAM: device-to-device spread of the drift exponent, sigma of nu (dimensionless).</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)]
    public double DriftNuSigma { get; init; }
    /// <summary>
    /// RRAM: the time after programming at which the programmed conductances hold, t0 (s); null: 20 s.
    /// </summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public double? DriftT0 { get; init; }
    /// <summary>t0 (s): <see cref="DriftT0"/> or 20 s.</summary>
    [JsonIgnore]
    public double DriftReference => DriftT0 ?? 20;
    /// <summary>
    /// RRAM: the time after programming at which the chip is read (s); null, or up to t0: as programmed.
    /// </summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public double? ReadTime { get; init; }
    /// <summary>
    /// RRAM: mean additive conductance relaxation per e-fold of time after t0 (S; negative: decay),
    /// dG(t) = relaxation_mean ln(t / t0) + z (relaxation_sigma + relaxation_sigma_growth ln(t / t0)),
    /// z ~ N(0, 1) per cell (<see cref="Memory.CellAging"/>). 0 with the two below: no relaxation.
    /// </summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)]
    public double RelaxationMean { get; init; }
    /// <summary>RRAM: spread of the relaxation just after t0 (S).</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)]
    public double RelaxationSigma { get; init; }
    /// <summary>RRAM: growth of the relaxation's spread per e-fold of time after t0 (S).</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)]
    public double RelaxationSigmaGrowth { get; init; }
    /// <summary>
    /// RRAM: scale tau (s) of the cells' Weibull retention failure times counted from t0 (a failed cell relaxes
    /// to G_min, see <see cref="Memory.CellAging"/>); null: no retention failures.
    /// </summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public double? RetentionTau { get; init; }
    /// <summary>
    /// RRAM: shape beta of the Weibull retention failure times (dimensionless); null: 1 (a constant rate).
    /// </summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public double? RetentionBeta { get; init; }
    /// <summary>
    /// RRAM: read pulse width t_r (s) of 1/f read noise that grows with the time since programming
    /// (<see cref="Memory.CellAging.ReadNoiseGrowth"/>); read_noise is its sigma at t0. null: the read noise
    /// does not grow.
    /// </summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public double? ReadNoiseTRead { get; init; }
    /// <summary>
    /// Global drift compensation: at the read time a known input (every row on) is read through each tile and
    /// compared with the same read at programming; their ratio is one digital scale per tile
    /// (<see cref="Crossbar.DriftCompensation"/>). Off: the tiles are read as they have drifted.
    /// </summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)]
    public bool DriftCompensation { get; init; }
    /// <summary>SRAM: on-current of a bit cell (A).</summary>
    public double CellCurrent { get; init; } = 1e-6;
    /// <summary>SRAM: cell current mismatch, sigma/mu (fraction).</summary>
    public double CurrentSigma { get; init; }
    /// <summary>Capacitor: unit capacitance (F).</summary>
    public double UnitCapacitance { get; init; } = 1e-15;
    /// <summary>Capacitor: mismatch, sigma of dC/C (fraction).</summary>
    public double CapacitorSigma { get; init; }
    /// <summary>
    /// Parameters of a technology registered from outside ImcSharp (its own record, read by the technology); null for
    /// the shipped ones.
    /// </summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public System.Text.Json.JsonElement? Parameters { get; init; }

    /// <summary>Nominal cells: exact levels, no programming or read noise, no stuck cells, no mismatch.</summary>
    public CellConfig Nominal() => this with
    {
        ProgrammingSigma = 0, ProgrammingSigmaAtGmin = 0, ReadNoise = 0, StuckOnRate = 0, StuckOffRate = 0,
        CurrentSigma = 0, CapacitorSigma = 0, DriftNuSigma = 0, ReadTime = null, RetentionTau = null,
        RelaxationSigma = 0, RelaxationSigmaGrowth = 0,
    };

    /// <summary>
    /// Checks every field and hands the block to its technology; errors are named with the prefix
    /// <paramref name="at"/>.
    /// </summary>
    public void Validate(ConfigErrors e, string at, CoreConfig core)
    {
        e.Positive(at + "g_min", GMin, allowZero: true);
        e.Positive(at + "g_max", GMax);
        if (GMax <= GMin) e.Add(at + "g_max", GMax, $"must exceed {at}g_min ({GMin})");
        e.Sigma(at + "programming_sigma", ProgrammingSigma);
        e.Sigma(at + "programming_sigma_at_gmin", ProgrammingSigmaAtGmin);
        e.Sigma(at + "read_noise", ReadNoise);
        e.Positive(at + "drift_nu", DriftNu, allowZero: true);
        e.Sigma(at + "drift_nu_sigma", DriftNuSigma);
        if (DriftT0 is { } t0) e.Positive(at + "drift_t0", t0);
        if (ReadTime is { } t) e.Positive(at + "read_time", t, allowZero: true);
        if (RetentionTau is { } tau) e.Positive(at + "retention_tau", tau);
        if (RetentionBeta is { } beta) e.Positive(at + "retention_beta", beta);
        if (RetentionBeta is not null && RetentionTau is null) e.Add(at + "retention_beta", RetentionBeta.Value,
            $"shapes the retention failure times: set {at}retention_tau too, or remove it");
        if (ReadNoiseTRead is { } tr) e.Positive(at + "read_noise_t_read", tr);
        e.Positive(at + "relaxation_sigma", RelaxationSigma, allowZero: true);
        e.Positive(at + "relaxation_sigma_growth", RelaxationSigmaGrowth, allowZero: true);
        if (!double.IsFinite(RelaxationMean)) e.Add(at + "relaxation_mean", RelaxationMean, "expected a finite number");
        e.Probability(at + "stuck_on_rate", StuckOnRate);
        e.Probability(at + "stuck_off_rate", StuckOffRate);
        if (StuckOnRate + StuckOffRate > 1) e.Add(at + "stuck_off_rate", StuckOffRate,
            "stuck_on_rate + stuck_off_rate must not exceed 1");
        e.Positive(at + "cell_current", CellCurrent);
        e.Sigma(at + "current_sigma", CurrentSigma);
        e.Positive(at + "unit_capacitance", UnitCapacitance);
        e.Sigma(at + "capacitor_sigma", CapacitorSigma);
        if (!CellKinds.All.TryGet(Kind, out var kind)) e.Add(at + "kind", Kind,
            $"expected one of: {string.Join(", ", CellKinds.All.Names)}");
        else kind.Validate(this, e, at, core);
        // The shipped technologies read the fields above; a parameters block would be ignored.
        if (Parameters is not null && Kind is CellKind.Ideal or CellKind.Rram or CellKind.Sram or CellKind.Capacitor)
            e.Add(at + "parameters", "{...}",
                $"only a technology registered from outside ImcSharp reads a parameters block; '{Kind}' reads the " +
                "cell's own fields (g_min, programming_sigma, ...)");
    }
}
