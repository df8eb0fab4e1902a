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
    /// Measures and sets the chip's output offset when its ADC config asks for a trim (once per chip).
    /// </summary>
    public static void Apply(ProgrammedLayer chip)
    {
        if (!chip.Hardware.Adc.OffsetTrim || chip.OutputOffset is not null) return;
        if (chip.Chips != 1) throw new ArgumentException("trim each chip before stacking", nameof(chip));
        using var scope = NewDisposeScope();
        using var g = no_grad();
        var zero = zeros(new long[] { 1, chip.Inputs }, device: chip.Target.Device);
        chip.OutputOffset = AnalogMvm.Forward(chip, zero, false).view(-1).DetachFromDisposeScope();
    }
}
