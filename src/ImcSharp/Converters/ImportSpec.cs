namespace ImcSharp.Converters;

public enum CsvLayout { Long, Wide }
public enum OutputConversion { Code, Frequency, Delay }
/// <summary>
/// A cell of the output column that is not a number (a simulator's "eval err"): an error, a skipped point, or a
/// saturated output (the top code).
/// </summary>
public enum MissingCells { Error, Skip, Saturate }
public enum CurveInterpolation { Linear, Pchip }
/// <summary>
/// How the converter turns its continuous count into a code: nearest (code k from k - 1/2) or floor (a counter
/// truncates: code k from k).
/// </summary>
public enum CodeRounding { Nearest, Floor }
/// <summary>
/// Whether the output rises or falls with the input (a delay falls as the current rises); a falling code is mirrored
/// (2^N - 1 - code).
/// </summary>
public enum CurveDirection { Increasing, Decreasing }

/// <summary>
/// How to read a characterization CSV exported by a circuit simulator or a lab setup.
/// Long layout: one row per point, with an input column, an output column and optional corner
/// and Monte Carlo columns (global and local level). Wide layout: the input column, then one
/// output column per corner (or per instance, <see cref="WideColumnsAreCorners"/> = false).
/// The output becomes a continuous code value c(x): a code as is; a frequency f as
/// f * Window - SubtractCounts; a delay d as d * Clock - SubtractCounts (mirrored, 2^N - 1 - c,
/// for a decreasing <see cref="Direction"/>). Transition k sits where c(x) first crosses k - 1/2
/// (<see cref="Rounding"/> nearest) or k (floor: a counter truncates), between points by linear
/// or monotone cubic (PCHIP, Fritsch-Carlson) interpolation. A curve already at or above the
/// transition at its first point gives -inf (the code is produced at the lowest input). Nominal
/// LSB: (InputMax - InputMin)/(2^N - 1), code 0 at InputMin (defaults: the data's input range).
/// Rows whose <see cref="PassColumn"/> is not "pass" are dropped.
/// </summary>
public sealed record ImportSpec
{
    public string File { get; init; } = "";
    public CsvLayout Layout { get; init; } = CsvLayout.Long;
    public int Bits { get; init; } = 7;
    public string Input { get; init; } = "";
    public List<string> Outputs { get; init; } = new();
    public string? Corner { get; init; }
    public string? Instance { get; init; }
    public bool WideColumnsAreCorners { get; init; } = true;
    public OutputConversion Conversion { get; init; } = OutputConversion.Code;
    public double Window { get; init; } = 1e-6;
    public double Clock { get; init; } = 1e9;
    public double SubtractCounts { get; init; }
    public double? InputMin { get; init; }
    public double? InputMax { get; init; }
    /// <summary>Accept curves that stop short of the top code (those codes become unreachable).</summary>
    public bool AllowUnreachedCodes { get; init; }
    public string? OutputPopulation { get; init; }
    public MissingCells Missing { get; init; } = MissingCells.Error;
    public CurveInterpolation Interpolation { get; init; } = CurveInterpolation.Linear;
    public CodeRounding Rounding { get; init; } = CodeRounding.Nearest;
    /// <summary>Null: the curves must rise with the input (a falling one is an error asking for this field).</summary>
    public CurveDirection? Direction { get; init; }
    /// <summary>A Pass/Fail column (e.g. a Monte Carlo run's spec check): rows not marked pass are dropped.</summary>
    public string? PassColumn { get; init; }
    /// <summary>Unit of the input column (A, V, C), stored with the population.</summary>
    public string? Units { get; init; }
}

/// <summary>What the importer did, for the user to check.</summary>
public sealed record ImportReport(string File, string Layout, int Rows, int Instances, int Corners,
    string[] CornerNames,
    double InputMin, double InputMax, double LsbPhysical, int NonMonotonicCurves, int UnreachedCodes,
        int MinPointsPerCurve,
    int MissingCells = 0, int FailedRows = 0, List<string>? ShortCurves = null, int CodesAtLowestInput = 0);
