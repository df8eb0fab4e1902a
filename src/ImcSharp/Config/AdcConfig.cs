namespace ImcSharp.Config;

public enum AdcKind { Ideal }
public enum AdcRangeMode { Auto, Exact, Absolute }

/// <summary>
/// The ADC's input range. Auto: symmetric ±Fraction x the largest partial sum a column of the
/// array can produce. Exact: one LSB = one unit of (input digit x weight digit), codes centred on
/// zero: lossless whenever |partial sum| &lt;= 2^(bits-1)-1. Absolute: [Min, Max] in the physical
/// unit the ADC sees (A in current mode, V in charge mode).
/// </summary>
public sealed record AdcRange
{
    public AdcRangeMode Mode { get; init; } = AdcRangeMode.Auto;
    public double Fraction { get; init; } = 1.0;
    public double? Min { get; init; }
    public double? Max { get; init; }
}

/// <summary>An N-bit ADC and its range; the ADC library adds non-ideal kinds behind the same interface.</summary>
public sealed record AdcConfig
{
    public AdcKind Kind { get; init; } = AdcKind.Ideal;
    public int Bits { get; init; } = 8;
    public AdcRange Range { get; init; } = new();

    public void Validate(ConfigErrors e, string at)
    {
        e.Range(at + "bits", Bits, 1, 16);
        if (Range.Mode == AdcRangeMode.Auto && !(Range.Fraction > 0 && Range.Fraction <= 100))
            e.Add(at + "range.fraction", Range.Fraction, "expected 0 < fraction <= 100");
        if (Range.Mode == AdcRangeMode.Absolute)
        {
            if (Range.Min is null || Range.Max is null) e.Add(at + "range", "absolute", "needs both min and max (physical units)");
            else if (!(Range.Max > Range.Min)) e.Add(at + "range.max", Range.Max, $"must exceed range.min ({Range.Min})");
        }
    }
}
