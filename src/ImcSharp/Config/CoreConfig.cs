namespace ImcSharp.Config;

public enum WeightMapping { Differential, Offset }
public enum InputMode { Dac, BitSerial }

/// <summary>
/// Where a signed weight's two columns are subtracted. Analog: the pair (G+ - G-) or the weight
/// column minus its reference is taken before the ADC (current mirror, charge sharing), which then
/// sees a signed sum. Digital (ISAAC/PUMA): every physical column is converted from its own
/// unsigned current or charge by its own ADC, and the difference is taken in the shift-and-add.
/// </summary>
public enum Subtraction { Analog, Digital }

/// <summary>
/// One IMC core: an array of <see cref="Rows"/> x <see cref="Columns"/> cells and its periphery.
/// Weights are quantized to signed <see cref="WeightBits"/> (levels ±(2^(wb-1)-1)) and split into
/// S = wb / <see cref="BitsPerCell"/> slices; inputs are quantized to <see cref="InputBits"/> and
/// applied by a multi-bit DAC in one cycle or bit-serially, <see cref="InputSliceBits"/> per cycle.
/// One ADC serves <see cref="AdcShare"/> adjacent signal columns through a mux; with digital
/// <see cref="Subtract"/>ion each side of a pair (or the reference column) has its own ADCs.
/// </summary>
public sealed record CoreConfig
{
    public int Rows { get; init; } = 128;
    public int Columns { get; init; } = 128;
    public WeightMapping Mapping { get; init; } = WeightMapping.Differential;
    public int WeightBits { get; init; } = 8;
    public int BitsPerCell { get; init; } = 1;
    public int InputBits { get; init; } = 8;
    public InputMode InputMode { get; init; } = InputMode.BitSerial;
    public int InputSliceBits { get; init; } = 1;
    public int AdcShare { get; init; } = 1;
    public Subtraction Subtract { get; init; } = Subtraction.Analog;

    public int Slices => WeightBits / BitsPerCell;
    public int CycleBits => InputMode == InputMode.Dac ? InputBits : InputSliceBits;
    public int Cycles => InputBits / CycleBits;
    /// <summary>
    /// Input phases whose column results the ADCs convert: the cycles, plus one with digital
    /// subtraction and signed inputs. A physical column then converts an unsigned current, so the
    /// negative digits (only the top cycle has any) are applied in a phase of their own, as
    /// magnitudes, and subtracted in the shift-and-add.
    /// </summary>
    public int Phases(bool signedInputs) => Cycles + (signedInputs && Subtract == Subtraction.Digital ? 1 : 0);
    /// <summary>Signal columns per array: a differential pair uses two physical columns.</summary>
    public int SignalColumnsPerArray => Mapping == WeightMapping.Differential ? Columns / 2 : Columns;

    public void Validate(ConfigErrors e, string at)
    {
        e.Range(at + "rows", Rows, 1, 65536);
        e.Range(at + "columns", Columns, 1, 65536);
        e.Range(at + "weight_bits", WeightBits, 2, 16);
        e.Range(at + "bits_per_cell", BitsPerCell, 1, 8);
        e.Range(at + "input_bits", InputBits, 1, 16);
        e.Range(at + "adc_share", AdcShare, 1, Math.Max(1, SignalColumnsPerArray));
        if (Mapping == WeightMapping.Differential && Columns < 2)
            e.Add(at + "columns", Columns, "differential mapping needs at least 2 columns (one pair)");
        if (BitsPerCell >= 1 && WeightBits % BitsPerCell != 0)
            e.Add(at + "weight_bits", WeightBits, $"must be a multiple of {at}bits_per_cell ({BitsPerCell}) so weights divide into slices");
        if (InputMode == InputMode.BitSerial)
        {
            e.Range(at + "input_slice_bits", InputSliceBits, 1, InputBits);
            if (InputSliceBits >= 1 && InputBits % InputSliceBits != 0)
                e.Add(at + "input_slice_bits", InputSliceBits, $"must divide {at}input_bits ({InputBits})");
        }
    }
}
