using System.Globalization;
using ImcSharp.IO;
using TorchSharp;
using static TorchSharp.torch;

namespace ImcSharp.Converters;

public enum CsvLayout { Long, Wide }
public enum OutputConversion { Code, Frequency, Delay }

/// <summary>
/// How to read a characterization CSV exported by a circuit simulator or a lab setup.
/// Long layout: one row per point, with an input column, an output column and optional corner
/// and Monte Carlo columns (global and local level). Wide layout: the input column, then one
/// output column per corner (or per instance, <see cref="WideColumnsAreCorners"/> = false).
/// The output becomes a continuous code value c(x): a code as is; a frequency f as
/// f * Window - SubtractCounts; a delay d as d * Clock - SubtractCounts. Transition k sits where
/// c(x) crosses k - 1/2 (linear interpolation). Nominal LSB: (InputMax - InputMin)/(2^N - 1),
/// code 0 at InputMin (defaults: the data's input range).
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
}

/// <summary>What the importer did, for the user to check.</summary>
public sealed record ImportReport(string File, string Layout, int Rows, int Instances, int Corners, string[] CornerNames,
    double InputMin, double InputMax, double LsbPhysical, int NonMonotonicCurves, int UnreachedCodes, int MinPointsPerCurve);

public static class CurveImport
{
    public static (AdcPopulation Population, ImportReport Report) Import(ImportSpec spec, string specPath)
    {
        string where = specPath;
        if (string.IsNullOrEmpty(spec.File)) throw new ImcInputException($"{where}: file: expected the CSV file name");
        if (string.IsNullOrEmpty(spec.Input)) throw new ImcInputException($"{where}: input: expected the name of the input column");
        if (spec.Bits < 1 || spec.Bits > 16) throw new ImcInputException($"{where}: bits = {spec.Bits}: expected 1..16");
        if (spec.Layout == CsvLayout.Long && spec.Outputs.Count != 1)
            throw new ImcInputException($"{where}: outputs: the long layout needs exactly one output column, found {spec.Outputs.Count}");
        var csvPath = Path.IsPathRooted(spec.File) ? spec.File : Path.Combine(Path.GetDirectoryName(Path.GetFullPath(specPath)) ?? "", spec.File);
        var (header, rows) = ReadCsv(csvPath);
        int Col(string name, string field)
        {
            int i = Array.FindIndex(header, h => string.Equals(h, name, StringComparison.OrdinalIgnoreCase));
            if (i < 0) throw new ImcInputException($"{csvPath}: column '{name}' (from {field}) not found; the header has: {string.Join(", ", header)}");
            return i;
        }
        int inCol = Col(spec.Input, "input");
        var curves = new List<(string Corner, string Instance, List<(double X, double Y)> Points)>();
        if (spec.Layout == CsvLayout.Long)
        {
            int outCol = Col(spec.Outputs[0], "outputs");
            int cCol = spec.Corner is null ? -1 : Col(spec.Corner, "corner");
            int mCol = spec.Instance is null ? -1 : Col(spec.Instance, "instance");
            var groups = new Dictionary<(string, string), List<(double, double)>>();
            var order = new List<(string, string)>();
            for (int r = 0; r < rows.Count; r++)
            {
                var row = rows[r];
                var x = Number(row, inCol, r, header, csvPath);
                var y = Number(row, outCol, r, header, csvPath);
                if (x is null || y is null) continue;                       // blank cell: no point
                var key = (cCol >= 0 ? Cell(row, cCol) : "nominal", mCol >= 0 ? Cell(row, mCol) : "0");
                if (!groups.TryGetValue(key, out var pts)) { groups[key] = pts = new(); order.Add(key); }
                pts.Add((x.Value, y.Value));
            }
            foreach (var k in order) curves.Add((k.Item1, k.Item2, groups[k]));
        }
        else
        {
            var outCols = spec.Outputs.Count > 0 ? spec.Outputs.Select(o => Col(o, "outputs")).ToList()
                : Enumerable.Range(0, header.Length).Where(i => i != inCol).ToList();
            if (outCols.Count == 0) throw new ImcInputException($"{csvPath}: no output columns besides the input '{spec.Input}'");
            foreach (var c in outCols)
            {
                var pts = new List<(double, double)>();
                for (int r = 0; r < rows.Count; r++)
                {
                    var x = Number(rows[r], inCol, r, header, csvPath);
                    var y = Number(rows[r], c, r, header, csvPath);
                    if (x is not null && y is not null) pts.Add((x.Value, y.Value));
                }
                curves.Add(spec.WideColumnsAreCorners ? (header[c], "0", pts) : ("nominal", header[c], pts));
            }
        }
        if (curves.Count == 0 || curves.All(c => c.Points.Count == 0)) throw new ImcInputException($"{csvPath}: no data points");
        foreach (var c in curves)
            if (c.Points.Count < 2)
                throw new ImcInputException($"{csvPath}: curve corner '{c.Corner}' instance '{c.Instance}' has {c.Points.Count} point(s): expected at least 2");

        double xmin = spec.InputMin ?? curves.Min(c => c.Points.Min(p => p.X));
        double xmax = spec.InputMax ?? curves.Max(c => c.Points.Max(p => p.X));
        if (!(xmax > xmin)) throw new ImcInputException($"{csvPath}: input range [{xmin}, {xmax}] is empty: expected input_max > input_min");
        long m = (1L << spec.Bits) - 1;
        double lsb = (xmax - xmin) / m;
        var cornerNames = curves.Select(c => c.Corner).Distinct().ToArray();
        var data = new double[curves.Count * m];
        int nonMonotonic = 0, unreached = 0;
        for (int i = 0; i < curves.Count; i++)
        {
            var pts = curves[i].Points.OrderBy(p => p.X).Select(p => (p.X, C: ToCode(spec, p.Y))).ToArray();
            if (pts.Zip(pts.Skip(1)).Any(z => z.Second.C < z.First.C)) nonMonotonic++;
            for (int k = 1; k <= m; k++)
            {
                double target = k - 0.5, t = double.PositiveInfinity;
                if (pts[0].C >= target) t = double.NegativeInfinity;
                else
                    for (int j = 1; j < pts.Length; j++)
                        if (pts[j].C >= target && pts[j - 1].C < target)
                        {
                            // First crossing, linear between the two points around it.
                            double f = (target - pts[j - 1].C) / (pts[j].C - pts[j - 1].C);
                            t = pts[j - 1].X + f * (pts[j].X - pts[j - 1].X);
                            break;
                        }
                if (double.IsPositiveInfinity(t))
                {
                    if (!spec.AllowUnreachedCodes)
                        throw new ImcInputException($"{csvPath}: curve corner '{curves[i].Corner}' instance '{curves[i].Instance}' never reaches code {k} " +
                            $"(its largest output maps to code value {pts.Max(p => p.C):F2}); check the conversion, or set allow_unreached_codes");
                    unreached++;
                }
                data[i * m + (k - 1)] = double.IsFinite(t) ? (t - xmin) / lsb : t;
            }
        }
        var corner = curves.Select(c => Array.IndexOf(cornerNames, c.Corner)).ToArray();
        var pop = new AdcPopulation(spec.Bits, tensor(data).view(curves.Count, m), corner, cornerNames);
        var report = new ImportReport(csvPath, spec.Layout.ToString().ToLowerInvariant(), rows.Count, curves.Count, cornerNames.Length, cornerNames,
            xmin, xmax, lsb, nonMonotonic, unreached, curves.Min(c => c.Points.Count));
        return (pop, report);
    }

    static double ToCode(ImportSpec s, double y) => s.Conversion switch
    {
        OutputConversion.Frequency => y * s.Window - s.SubtractCounts,
        OutputConversion.Delay => y * s.Clock - s.SubtractCounts,
        _ => y,
    };

    static string Cell(string[] row, int col) => col < row.Length ? row[col].Trim() : "";

    static double? Number(string[] row, int col, int r, string[] header, string path)
    {
        var cell = Cell(row, col);
        if (cell.Length == 0) return null;
        if (double.TryParse(cell, NumberStyles.Float, CultureInfo.InvariantCulture, out var v) && double.IsFinite(v)) return v;
        // Row numbers count the header as row 1, as a spreadsheet shows them.
        throw new ImcInputException($"{path}: row {r + 2}, column '{header[col]}': '{cell}' is not a number");
    }

    /// <summary>Comma-separated (or semicolon/tab) values with a header row; quotes around fields allowed.</summary>
    public static (string[] Header, List<string[]> Rows) ReadCsv(string path)
    {
        if (!System.IO.File.Exists(path)) throw new ImcInputException($"{path}: CSV file not found");
        // Blank lines stay (as rows without points) so that row numbers in errors match the file.
        var lines = System.IO.File.ReadAllLines(path).ToList();
        while (lines.Count > 0 && lines[^1].Trim().Length == 0) lines.RemoveAt(lines.Count - 1);
        if (lines.Count == 0) throw new ImcInputException($"{path}: the file is empty: expected a header row and data rows");
        char sep = lines[0].Contains(',') ? ',' : lines[0].Contains(';') ? ';' : '\t';
        string[] Split(string l) => l.Split(sep).Select(f => f.Trim().Trim('"').Trim()).ToArray();
        var header = Split(lines[0]);
        if (lines.Count == 1) throw new ImcInputException($"{path}: only a header row: expected data rows below it");
        return (header, lines.Skip(1).Select(Split).ToList());
    }

    public static ImportSpec ReadSpec(string path) => Json.ReadFile<ImportSpec>(path);
}
