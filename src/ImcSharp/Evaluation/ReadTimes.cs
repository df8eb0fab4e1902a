using System.Globalization;
using System.Text.RegularExpressions;

namespace ImcSharp.Evaluation;

/// <summary>
/// Read times after programming, as a designer writes them: "1s,1h,1d,1mo,1y,10y" (s, min, h, d,
/// mo = 30.44 d, y = 365.25 d; a plain number is seconds).
/// </summary>
public static partial class ReadTimes
{
    static readonly Dictionary<string, double> Seconds = new(StringComparer.Ordinal)
    {
        [""] = 1, ["s"] = 1, ["min"] = 60, ["h"] = 3600, ["d"] = 86400, ["mo"] = 2_629_800, ["y"] = 31_557_600,
    };

    [GeneratedRegex(@"^\s*(\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)\s*(s|min|h|d|mo|y)?\s*$")]
    private static partial Regex Time();

    /// <summary>
    /// The times of <paramref name="list"/> in order, each with its label; one error naming a bad one.
    /// </summary>
    public static List<(string Label, double Seconds)> Parse(string list)
    {
        var times = new List<(string, double)>();
        foreach (var item in list.Split(','))
        {
            var m = Time().Match(item);
            double value = m.Success ? double.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture) : double.NaN;
            if (!m.Success || !(value > 0) || double.IsInfinity(value))
                throw new ImcInputException("time", list,
                    $"'{item.Trim()}' is not a time after programming: expected a number above 0 with s, min, h, d, " +
                    "mo or y, as in 1s,1h,1d,1mo,1y,10y");
            times.Add((item.Trim(), value * Seconds[m.Groups[2].Value]));
        }
        return times;
    }
}
