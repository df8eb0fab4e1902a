namespace ImcSharp.Converters;

/// <summary>
/// What was measured: the input's unit and physical range mapped to codes 0 .. 2^N - 1 (the nominal
/// LSB is (max - min)/(2^N - 1)), and how curves became codes.
/// </summary>
public sealed record PopulationInfo(string? Units, double InputMin, double InputMax, string Conversion, string Rounding,
    string Direction);
