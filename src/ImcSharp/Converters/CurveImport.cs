using System.Globalization;
using ImcSharp.IO;
using TorchSharp;
using static TorchSharp.torch;

namespace ImcSharp.Converters;

public static class CurveImport
{
    public static (AdcPopulation Population, ImportReport Report) Import(ImportSpec spec, string specPath)
    {
        string where = specPath;
        if (string.IsNullOrEmpty(spec.File)) throw new ImcInputException($"{where}: file: expected the CSV file name");
        if (string.IsNullOrEmpty(spec.Input)) throw new ImcInputException(
            $"{where}: input: expected the name of the input column");
        if (spec.Bits < 1
            || spec.Bits > 16) throw new ImcInputException($"{where}: bits = {spec.Bits}: expected 1..16");
        if (spec.Layout == CsvLayout.Long && spec.Outputs.Count != 1)
            throw new ImcInputException(
                $"{where}: outputs: the long layout needs exactly one output column, found {spec.Outputs.Count}");
        var e = new Config.ConfigErrors();
        e.Positive("window", spec.Window);
        e.Positive("clock", spec.Clock);
        e.Finite("subtract_counts", spec.SubtractCounts);
        if (spec.InputMin is { } lo) e.Finite("input_min", lo);
        if (spec.InputMax is { } hi) e.Finite("input_max", hi);
        if (spec.InputMin is { } a && spec.InputMax is { } b && !(b > a)) e.Add("input_max", b,
            $"expected > input_min ({a})");
        e.ThrowIfAny(where);
        var csvPath = CsvPath(spec, specPath);
        var (header, rows) = ReadCsv(csvPath);
        int Col(string name, string field)
        {
            int i = Array.FindIndex(header, h => string.Equals(h, name, StringComparison.OrdinalIgnoreCase));
            if (i < 0) throw new ImcInputException(
                $"{csvPath}: column '{name}' (from {field}) not found; the header has: {string.Join(", ", header)}");
            return i;
        }
        int inCol = Col(spec.Input, "input");
        long m = (1L << spec.Bits) - 1;
        int passCol = spec.PassColumn is null ? -1 : Col(spec.PassColumn, "pass_column");
        int missing = 0, failed = 0;
        var failedValues = new SortedSet<string>(StringComparer.Ordinal);
        bool Failed(string[] row)
        {
            if (passCol < 0
                || string.Equals(Cell(row, passCol), "pass", StringComparison.OrdinalIgnoreCase)) return false;
            failed++;
            if (failedValues.Count < 5) failedValues.Add(Cell(row, passCol));
            return true;
        }
        // A saturated point stands for the top code in code units; converted back so ToCode maps it there.
        double? Output(string[] row, int col, int r)
        {
            var cell = Cell(row, col);
            if (cell.Length == 0 || double.TryParse(cell, NumberStyles.Float, CultureInfo.InvariantCulture, out _)
                || spec.Missing == MissingCells.Error)
                return Number(row, col, r, header, csvPath);
            missing++;
            return spec.Missing == MissingCells.Skip ? null : double.PositiveInfinity;
        }
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
                if (Failed(row)) continue;
                var x = Number(row, inCol, r, header, csvPath);
                var y = Output(row, outCol, r);
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
            if (outCols.Count == 0) throw new ImcInputException(
                $"{csvPath}: no output columns besides the input '{spec.Input}'");
            foreach (var c in outCols)
            {
                var pts = new List<(double, double)>();
                for (int r = 0; r < rows.Count; r++)
                {
                    if (Failed(rows[r])) continue;
                    var x = Number(rows[r], inCol, r, header, csvPath);
                    var y = Output(rows[r], c, r);
                    if (x is not null && y is not null) pts.Add((x.Value, y.Value));
                }
                curves.Add(spec.WideColumnsAreCorners ? (header[c], "0", pts) : ("nominal", header[c], pts));
            }
        }
        if (curves.Count == 0 || curves.All(c => c.Points.Count == 0))
            throw new ImcInputException(failed > 0
                ? $"{csvPath}: no data points: all {failed} rows fail pass_column '{spec.PassColumn}' (it keeps rows " +
                    $"marked 'pass'; found {string.Join(", ", failedValues.Select(v => $"'{v}'"))})"
                : $"{csvPath}: no data points: no row has a number in the output column(s)");
        foreach (var c in curves)
            if (c.Points.Count < 2)
                throw new ImcInputException(
                    $"{csvPath}: curve corner '{c.Corner}' instance '{c.Instance}' has {c.Points.Count} point(s): " +
                    "expected at least 2");
        int most = curves.Max(c => c.Points.Count);
        var shortCurves =
            curves.Where(c => c.Points.Count < most)
            .Select(c => $"{c.Corner}/{c.Instance} ({c.Points.Count} of {most} points)").ToList();

        double xmin = spec.InputMin ?? curves.Min(c => c.Points.Min(p => p.X));
        double xmax = spec.InputMax ?? curves.Max(c => c.Points.Max(p => p.X));
        if (!(xmax > xmin)) throw new ImcInputException(
            $"{csvPath}: input range [{xmin}, {xmax}] is empty: expected input_max > input_min");
        double lsb = (xmax - xmin) / m;
        var cornerNames = curves.Select(c => c.Corner).Distinct().ToArray();
        var data = new double[curves.Count * m];
        int nonMonotonic = 0, unreached = 0, atLowest = 0;
        double shift = spec.Rounding == CodeRounding.Floor ? 0 : 0.5;
        for (int i = 0; i < curves.Count; i++)
        {
            var pts = curves[i].Points.OrderBy(p => p.X)
                .Select(p => (p.X, C: double.IsPositiveInfinity(p.Y) ? m + 1.0 : ToCode(spec, p.Y))).ToArray();
            bool falling = pts[^1].C < pts[0].C;
            if (falling != (spec.Direction == CurveDirection.Decreasing))
                throw new ImcInputException(spec.Direction is null
                    ? $"{csvPath}: curve corner '{curves[i].Corner}' instance '{curves[i].Instance}' falls as the " +
                        $"input rises (code value {pts[0].C:F2} at the first point, {pts[^1].C:F2} at the last); set " +
                        "direction: decreasing to mirror it (code 2^N - 1 - c)"
                    : $"{csvPath}: curve corner '{curves[i].Corner}' " +
                        $"instance '{curves[i].Instance}' {(falling ? "falls" : "rises")} as the input rises but " +
                        $"direction is {Json.Name(spec.Direction.Value)}");
            if (falling) pts = pts.Select(p => (p.X, C: m - p.C)).ToArray();
            if (pts.Zip(pts.Skip(1)).Any(z => z.Second.C < z.First.C)) nonMonotonic++;
            var slopes = spec.Interpolation == CurveInterpolation.Pchip ? PchipSlopes(pts) : null;
            for (int k = 1; k <= m; k++)
            {
                double target = k - shift, t = double.PositiveInfinity;
                if (pts[0].C >= target) { t = double.NegativeInfinity; atLowest++; }
                else
                    for (int j = 1; j < pts.Length; j++)
                        if (pts[j].C >= target && pts[j - 1].C < target)
                        {
                            // First crossing, between the two points around it.
                            t = slopes is null
                                ? pts[j - 1].X + (target - pts[j - 1].C) / (pts[j].C - pts[j - 1].C)
                                * (pts[j].X - pts[j - 1].X)
                                : HermiteCrossing(pts[j - 1], pts[j], slopes[j - 1], slopes[j], target);
                            break;
                        }
                if (double.IsPositiveInfinity(t))
                {
                    if (!spec.AllowUnreachedCodes)
                        throw new ImcInputException(
                            $"{csvPath}: curve corner '{curves[i].Corner}' instance '{curves[i].Instance}' never " +
                            $"reaches code {k} " +
                            $"(its largest output maps to code value {pts.Max(p => p.C):F2}); check the conversion, " +
                                "or set allow_unreached_codes");
                    unreached++;
                }
                data[i * m + (k - 1)] = double.IsFinite(t) ? (t - xmin) / lsb : t;
            }
        }
        var corner = curves.Select(c => Array.IndexOf(cornerNames, c.Corner)).ToArray();
        var pop = new AdcPopulation(spec.Bits, tensor(data).view(curves.Count, m), corner, cornerNames)
        {
            Info = new PopulationInfo(spec.Units, xmin, xmax, Json.Name(spec.Conversion), Json.Name(spec.Rounding),
                Json.Name(spec.Direction ?? CurveDirection.Increasing)),
        };
        var report =
            new ImportReport(csvPath, spec.Layout.ToString().ToLowerInvariant(), rows.Count, curves.Count,
            cornerNames.Length, cornerNames,
            xmin, xmax, lsb, nonMonotonic, unreached, curves.Min(c => c.Points.Count), missing, failed, shortCurves,
                atLowest);
        return (pop, report);
    }

    /// <summary>
    /// Fritsch-Carlson slopes of the monotone cubic (PCHIP) through the points: zero at a local
    /// extremum, else a weighted harmonic mean of the neighbouring secants, so a monotone curve
    /// stays monotone between points (no overshoot past a code as a spline would give).
    /// </summary>
    static double[] PchipSlopes((double X, double C)[] p)
    {
        int n = p.Length;
        var h = new double[n - 1];
        var d = new double[n - 1];
        for (int i = 0; i < n - 1; i++) { h[i] = p[i + 1].X - p[i].X; d[i] =
            h[i] > 0 ? (p[i + 1].C - p[i].C) / h[i] : 0; }
        var m = new double[n];
        for (int i = 1; i < n - 1; i++)
        {
            if (d[i - 1] * d[i] <= 0) continue;
            double w1 = 2 * h[i] + h[i - 1], w2 = h[i] + 2 * h[i - 1];
            m[i] = (w1 + w2) / (w1 / d[i - 1] + w2 / d[i]);
        }
        // One-sided three-point ends, kept in the secant's sign and within 3x of it.
        static double End(double h0, double h1, double d0, double d1)
        {
            if (h1 <= 0) return d0;
            double e = ((2 * h0 + h1) * d0 - h0 * d1) / (h0 + h1);
            if (Math.Sign(e) != Math.Sign(d0)) return 0;
            if (Math.Sign(d0) != Math.Sign(d1) && Math.Abs(e) > 3 * Math.Abs(d0)) return 3 * d0;
            return e;
        }
        m[0] = n > 2 ? End(h[0], h[1], d[0], d[1]) : d[0];
        m[n - 1] = n > 2 ? End(h[n - 2], h[n - 3], d[n - 2], d[n - 3]) : d[n - 2];
        return m;
    }

    /// <summary>
    /// Where the cubic Hermite piece from a to b (slopes ma, mb) first reaches <paramref name="target"/> (a.C &lt;
    /// target &lt;= b.C): bisection, 60 halvings.
    /// </summary>
    static double HermiteCrossing((double X, double C) a, (double X, double C) b, double ma, double mb, double target)
    {
        double h = b.X - a.X;
        double At(double u)
        {
            double u2 = u * u, u3 = u2 * u;
            return (2 * u3 - 3 * u2 + 1) * a.C + (u3 - 2 * u2 + u) * h * ma + (-2 * u3 + 3 * u2) * b.C + (u3 - u2) * h
                * mb;
        }
        double lo = 0, hi = 1;
        for (int i = 0; i < 60; i++)
        {
            double mid = 0.5 * (lo + hi);
            if (At(mid) >= target) hi = mid; else lo = mid;
        }
        return a.X + hi * h;
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
        if (double.TryParse(cell, NumberStyles.Float, CultureInfo.InvariantCulture, out var v)
            && double.IsFinite(v)) return v;
        // Row numbers count the header as row 1, as a spreadsheet shows them.
        throw new ImcInputException($"{path}: row {r + 2}, column '{header[col]}': '{cell}' is not a number");
    }

    /// <summary>
    /// Comma-separated (or semicolon/tab) values with a header row, read as RFC 4180 says: a field
    /// in double quotes may hold the separator and doubled quotes (""), a byte-order mark is
    /// dropped, and the separator is the first of , ; tab found outside quotes in the header.
    /// Blank lines stay (as rows without fields) so that row numbers in errors match the file.
    /// </summary>
    public static (string[] Header, List<string[]> Rows) ReadCsv(string path)
    {
        if (!System.IO.File.Exists(path)) throw new ImcInputException($"{path}: CSV file not found");
        var lines = System.IO.File.ReadAllLines(path).ToList();      // detects and drops a UTF-8/16 BOM
        while (lines.Count > 0 && lines[^1].Trim().Length == 0) lines.RemoveAt(lines.Count - 1);
        if (lines.Count == 0) throw new ImcInputException(
            $"{path}: the file is empty: expected a header row and data rows");
        char sep = DetectSeparator(lines[0]);
        var header = SplitCsvLine(lines[0], sep, path, 1);
        if (lines.Count == 1) throw new ImcInputException($"{path}: only a header row: expected data rows below it");
        return (header,
            lines.Skip(1).Select((l, i) => l.Trim().Length == 0 ? Array.Empty<string>()
            : SplitCsvLine(l, sep, path, i + 2)).ToList());
    }

    static char DetectSeparator(string header)
    {
        bool quoted = false;
        foreach (char ch in header)
        {
            if (ch == '"') quoted = !quoted;
            else if (!quoted && ch is ',' or ';' or '\t') return ch;
        }
        return ',';
    }

    /// <summary>One CSV line's fields, unquoted and trimmed (see <see cref="ReadCsv"/>).</summary>
    public static string[] SplitCsvLine(string line, char sep, string path = "", int row = 0)
    {
        var fields = new List<string>();
        var field = new System.Text.StringBuilder();
        bool quoted = false, wasQuoted = false;
        for (int i = 0; i < line.Length; i++)
        {
            char ch = line[i];
            if (quoted)
            {
                if (ch != '"') field.Append(ch);
                else if (i + 1 < line.Length && line[i + 1] == '"') { field.Append('"'); i++; }
                else quoted = false;
            }
            else if (ch == '"' && field.ToString().Trim().Length == 0) { quoted = wasQuoted = true; field.Clear(); }
            else if (ch == sep) { fields.Add(wasQuoted ? field.ToString()
                : field.ToString().Trim()); field.Clear(); wasQuoted = false; }
            else if (!(wasQuoted && char.IsWhiteSpace(ch))) field.Append(ch);
        }
        if (quoted) throw new ImcInputException(
            $"{path}: row {row}: a quoted field is not closed (expected a closing \")");
        fields.Add(wasQuoted ? field.ToString() : field.ToString().Trim());
        return fields.ToArray();
    }

    /// <summary>The CSV file a spec names, relative to the spec's folder.</summary>
    public static string CsvPath(ImportSpec spec, string specPath) =>
        Path.IsPathRooted(spec.File) ? spec.File
            : Path.Combine(Path.GetDirectoryName(Path.GetFullPath(specPath)) ?? "", spec.File);

    public static ImportSpec ReadSpec(string path) => Json.ReadFile<ImportSpec>(path, Json.Strict, "import spec");
}
