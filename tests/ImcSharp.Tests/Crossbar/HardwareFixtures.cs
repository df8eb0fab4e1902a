using ImcSharp.Config;

namespace ImcSharp.Tests.Crossbar;

public static class HardwareFixtures
{
    /// <summary>Ideal cells and array, and an ADC with one LSB per unit and 16 bits: loses nothing for these cores.</summary>
    public static LayerHardware Exact(WeightMapping mapping, InputMode mode, int rows = 64, int bitsPerCell = 2, int inputBits = 6, int sliceBits = 2,
        Subtraction subtract = Subtraction.Analog, int adcShare = 1) => new()
    {
        Core = new CoreConfig
        {
            Rows = rows, Columns = 64, Mapping = mapping, WeightBits = 8, BitsPerCell = bitsPerCell,
            InputBits = inputBits, InputMode = mode, InputSliceBits = sliceBits, Subtract = subtract, AdcShare = adcShare,
        },
        Adc = new AdcConfig { Bits = 16, Range = new AdcRange { Mode = AdcRangeMode.Exact } },
    };
}
