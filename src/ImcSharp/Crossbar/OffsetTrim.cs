using static TorchSharp.torch;

namespace ImcSharp.Crossbar;

/// <summary>
/// The output offset trim, a per-chip digital correction measured once at test: with every input
/// at zero the chip's outputs (integer domain) are
///   y0[n] = y(x = 0)[n],
/// which the digital back end then subtracts from every output (<see cref="ProgrammedLayer.OutputOffset"/>).
/// The measurement is one call of the engine on the programmed chip, through its own array stage
/// and ADC bank; it is made before the offset is set, so it is itself untrimmed, and zero input
/// draws no read noise.
/// </summary>
public static class OffsetTrim
{
    /// <summary>
    /// Measures and sets the chip's output offset when its ADC config asks for a trim (once per chip), on
    /// <paramref name="measuredOn"/> when given: the same chip read when the trim was taken (at programming, for
    /// cells that age and are not retrimmed, <see cref="Config.AdcConfig.OffsetRetrim"/>).
    /// </summary>
    public static void Apply(ProgrammedLayer chip, ProgrammedLayer? measuredOn = null)
    {
        if (!chip.Hardware.Adc.OffsetTrim || chip.OutputOffset is not null) return;
        if (chip.Chips != 1) throw new ArgumentException("trim each chip before stacking", nameof(chip));
        using var scope = NewDisposeScope();
        using var g = no_grad();
        var on = measuredOn ?? chip;
        var zero = zeros(new long[] { 1, on.Inputs }, device: on.Target.Device);
        chip.OutputOffset = AnalogMvm.Forward(on, zero, false).view(-1).to(chip.Target.Device)
            .DetachFromDisposeScope();
    }
}
