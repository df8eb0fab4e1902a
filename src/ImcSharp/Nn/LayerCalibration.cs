using ImcSharp.Converters;

namespace ImcSharp.Nn;

/// <summary>
/// The seeds of one chip of a layer (see <see cref="AnalogLayer.ProgramChips"/>): its own draws, the chip-level
/// (global) draws, its corner.
/// </summary>
public sealed record ChipSeeds(ulong Chip, ulong? Global = null, int? Corner = null);

/// <summary>
/// A layer's calibration: input range max|x| and sign, and the calibrated ADC range of each weight
/// slice with what it was calibrated for (null when the range is not calibrated).
/// </summary>
public sealed record LayerCalibration(double InputRange, bool InputSigned, List<SliceRange>? AdcRanges = null,
    string? AdcRangeKey = null);
