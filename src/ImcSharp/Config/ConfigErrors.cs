using System.Globalization;

namespace ImcSharp.Config;

/// <summary>
/// Collects validation failures; the first becomes one clear error naming the field and the allowed range.
/// </summary>
public sealed class ConfigErrors
{
    readonly List<string> _errors = new();
    /// <summary>The errors so far, one line each ("field = value: expected").</summary>
    public IReadOnlyList<string> Errors => _errors;

    /// <summary>
    /// Records that <paramref name="field"/> = <paramref name="value"/> is wrong, and what was expected.
    /// </summary>
    public void Add(string field, object? value, string expected) =>
        _errors.Add($"{field} = {Format(value)}: {expected}");

    /// <summary>Requires <paramref name="min"/> &lt;= value &lt;= <paramref name="max"/>.</summary>
    public void Range(string field, int value, int min, int max)
    {
        if (value < min || value > max) Add(field, value, $"expected an integer in {min}..{max}");
    }

    /// <summary>Requires a finite value above zero (or at least zero).</summary>
    public void Positive(string field, double value, bool allowZero = false)
    {
        if (!double.IsFinite(value) || value < 0 || (!allowZero && value == 0))
            Add(field, value, allowZero ? "expected a finite number >= 0" : "expected a finite number > 0");
    }

    /// <summary>Requires a finite value.</summary>
    public void Finite(string field, double value)
    {
        if (!double.IsFinite(value)) Add(field, value, "expected a finite number");
    }

    /// <summary>Requires a standard deviation: finite and at least zero.</summary>
    public void Sigma(string field, double value)
    {
        if (!double.IsFinite(value) || value < 0 || value > 10) Add(field, value,
            "expected a standard deviation in 0..10 (negative sigma is meaningless)");
    }

    /// <summary>Requires a probability: 0 &lt;= value &lt;= 1.</summary>
    public void Probability(string field, double value)
    {
        if (double.IsNaN(value) || value < 0 || value > 1) Add(field, value, "expected a probability in 0..1");
    }

    /// <summary>
    /// Throws one <see cref="ImcInputException"/> naming <paramref name="source"/> and every error, if there are any.
    /// </summary>
    public void ThrowIfAny(string source)
    {
        if (_errors.Count > 0)
            throw new ImcInputException($"{source}: {_errors[0]}"
                + (_errors.Count > 1 ? $" (and {_errors.Count - 1} more)" : ""));
    }

    static string Format(object? v) => v switch
    {
        null => "null",
        double d => d.ToString("G6", CultureInfo.InvariantCulture),
        _ => v.ToString() ?? "",
    };
}
