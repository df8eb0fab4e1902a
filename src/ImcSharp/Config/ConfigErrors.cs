using System.Globalization;

namespace ImcSharp.Config;

/// <summary>Collects validation failures; the first becomes one clear error naming the field and the allowed range.</summary>
public sealed class ConfigErrors
{
    readonly List<string> _errors = new();
    public IReadOnlyList<string> Errors => _errors;

    public void Add(string field, object? value, string expected) =>
        _errors.Add($"{field} = {Format(value)}: {expected}");

    public void Range(string field, int value, int min, int max)
    {
        if (value < min || value > max) Add(field, value, $"expected an integer in {min}..{max}");
    }

    public void Positive(string field, double value, bool allowZero = false)
    {
        if (!double.IsFinite(value) || value < 0 || (!allowZero && value == 0))
            Add(field, value, allowZero ? "expected a finite number >= 0" : "expected a finite number > 0");
    }

    public void Finite(string field, double value)
    {
        if (!double.IsFinite(value)) Add(field, value, "expected a finite number");
    }

    public void Sigma(string field, double value)
    {
        if (!double.IsFinite(value) || value < 0 || value > 10) Add(field, value, "expected a standard deviation in 0..10 (negative sigma is meaningless)");
    }

    public void Probability(string field, double value)
    {
        if (double.IsNaN(value) || value < 0 || value > 1) Add(field, value, "expected a probability in 0..1");
    }

    public void ThrowIfAny(string source)
    {
        if (_errors.Count > 0)
            throw new ImcInputException($"{source}: {_errors[0]}" + (_errors.Count > 1 ? $" (and {_errors.Count - 1} more)" : ""));
    }

    static string Format(object? v) => v switch
    {
        null => "null",
        double d => d.ToString("G6", CultureInfo.InvariantCulture),
        _ => v.ToString() ?? "",
    };
}
