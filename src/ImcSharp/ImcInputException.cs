using System.Globalization;

namespace ImcSharp;

/// <summary>
/// Bad input (a setting, a file, a value) explained in one sentence; never a bug. A bad setting
/// carries its library name (<see cref="Setting"/>, snake case, as in the option records), its value
/// and what was expected, so a front end can name it in its own words (the CLI as "--epochs 0").
/// </summary>
public sealed class ImcInputException : Exception
{
    /// <summary>An error explained by <paramref name="message"/> (a file or field, then what was expected).</summary>
    public ImcInputException(string message) : base(message) { }
    /// <summary>An error explained by <paramref name="message"/>, caused by <paramref name="inner"/>.</summary>
    public ImcInputException(string message, Exception inner) : base(message, inner) { }

    /// <summary>"{setting} = {value}: {expected}".</summary>
    public ImcInputException(string setting, object? value, string expected)
        : base($"{setting} = {Show(value)}: {expected}")
    {
        Setting = setting;
        Value = value;
        Expected = expected;
    }

    /// <summary>The setting's library name (snake case), for a bad setting; else null.</summary>
    public string? Setting { get; }
    /// <summary>The value given, for a bad setting.</summary>
    public object? Value { get; }
    /// <summary>What was expected, for a bad setting.</summary>
    public string? Expected { get; }

    /// <summary>A value as an error shows it: text quoted, numbers in their shortest invariant form.</summary>
    public static string Show(object? value) => value switch
    {
        null => "(none)",
        string s => $"'{s}'",
        double d => d.ToString("R", CultureInfo.InvariantCulture),
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        _ => value.ToString() ?? "",
    };
}
