namespace ImcSharp.Config;

/// <summary>
/// Technology and timing of a design, for the energy and area model (the <c>cost</c> section of a
/// hardware config). The array cycle is one input cycle: every column is converted once per cycle
/// (by its ADC, or in turn by a shared one), so a per-column ADC samples at 1 / CycleTime and a
/// shared one at adc_share / CycleTime. Activities are averages over a typical network: the
/// fraction of rows driven per cycle, and the mean cell level as a fraction of the top level.
/// </summary>
public sealed record CostConfig
{
    /// <summary>
    /// Technology node (nm); energies scale with C V^2, areas with the node squared (digital) or linearly
    /// (matching-limited analog).
    /// </summary>
    public double NodeNm { get; init; } = 32;
    /// <summary>Core supply (V) of the periphery.</summary>
    public double Supply { get; init; } = 0.9;
    /// <summary>One input cycle (s): read pulse + conversion window.</summary>
    public double CycleTime { get; init; } = 10e-9;
    /// <summary>Current mode: how long the read voltage is applied per cycle (s).</summary>
    public double ReadTime { get; init; } = 2e-9;
    /// <summary>Mean fraction of rows whose input digit is non-zero (bit-serial) / mean DAC level (DAC mode).</summary>
    public double InputActivity { get; init; } = 0.5;
    /// <summary>Mean programmed cell level as a fraction of the top level (trained weights are mostly small).</summary>
    public double CellActivity { get; init; } = 0.25;
    /// <summary>
    /// Cell footprint in F^2 (1T1R RRAM ~ 12-40 F^2; 8T SRAM ~ 150 F^2; MOM capacitor cell ~ 200 F^2).
    /// </summary>
    public double? CellAreaF2 { get; init; }
    /// <summary>Bits of each input and output value moved through the tile buffers.</summary>
    public int BufferBits { get; init; } = 8;

    /// <summary>Checks every field; errors are named with the prefix <paramref name="at"/> ("cost.").</summary>
    public void Validate(ConfigErrors e, string at)
    {
        e.Positive(at + "node_nm", NodeNm);
        e.Positive(at + "supply", Supply);
        e.Positive(at + "cycle_time", CycleTime);
        e.Positive(at + "read_time", ReadTime);
        if (ReadTime > CycleTime) e.Add(at + "read_time", ReadTime, $"must not exceed {at}cycle_time ({CycleTime})");
        e.Probability(at + "input_activity", InputActivity);
        e.Probability(at + "cell_activity", CellActivity);
        if (CellAreaF2 is { } a) e.Positive(at + "cell_area_f2", a);
        e.Range(at + "buffer_bits", BufferBits, 1, 64);
    }
}
