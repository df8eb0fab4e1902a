namespace ImcSharp.Config;

/// <summary>
/// Per-chip deployment compensation measured after programming on calibration images (the
/// <c>compensation</c> section of a hardware config; the output offset trim is the ADC's,
/// <see cref="AdcConfig.OffsetTrim"/>). Both measures run inside <c>imc eval</c>, sweeps, searches and
/// experiments, once per chip, before the chip's test images (<see cref="Nn.ChipCompensation"/>):
/// <list type="bullet">
/// <item><see cref="OutputGain"/>: a digital gain and offset register per output of every analog layer
/// (<see cref="Crossbar.OutputGainCalibration"/>), set so the chip's outputs have the digital network's
/// moments.</item>
/// <item><see cref="BatchNorm"/>: every BatchNorm's running mean and variance re-measured on the chip.</item>
/// </list>
/// Training does not measure them: BatchNorm in training mode already normalises with each chip's batch
/// statistics, and output gains are set on the chip the network is deployed on.
/// </summary>
public sealed record CompensationConfig
{
    /// <summary>Per-output digital gain and offset registers, measured per chip.</summary>
    public bool OutputGain { get; init; }
    /// <summary>BatchNorm statistics re-estimated on each chip.</summary>
    public bool BatchNorm { get; init; }
    /// <summary>Calibration images each chip runs for its measures (the first of the training set).</summary>
    public int Images { get; init; } = 256;

    /// <summary>Whether any measure is on.</summary>
    public bool Any => OutputGain || BatchNorm;

    /// <summary>Checks every field; errors are named with the prefix <paramref name="at"/> ("compensation.").</summary>
    public void Validate(ConfigErrors e, string at)
    {
        e.Range(at + "images", Images, 2, 4096);
    }
}
