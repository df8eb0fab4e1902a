namespace ImcSharp.Config;

/// <summary>How a signed weight lies on cells.</summary>
public enum WeightMapping
{
    /// <summary>A differential pair of columns (G+, G-).</summary>
    Differential,
    /// <summary>One column per weight, against a reference column per slice holding the offset.</summary>
    Offset,
}
/// <summary>How inputs reach the rows.</summary>
public enum InputMode
{
    /// <summary>A multi-bit DAC, in one cycle.</summary>
    Dac,
    /// <summary>Pulses of input_slice_bits per cycle.</summary>
    BitSerial,
}

/// <summary>
/// Where a signed weight's two columns are subtracted. Analog: the pair (G+ - G-) or the weight
/// column minus its reference is taken before the ADC (current mirror, charge sharing), which then
/// sees a signed sum. Digital (ISAAC/PUMA): every physical column is converted from its own
/// unsigned current or charge by its own ADC, and the difference is taken in the shift-and-add.
/// </summary>
public enum Subtraction
{
    /// <summary>Before the ADC: it sees a signed sum.</summary>
    Analog,
    /// <summary>In the shift-and-add: every physical column is converted on its own.</summary>
    Digital,
}

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
    /// <summary>Rows (word lines) per array: the inputs one tile sums.</summary>
    public int Rows { get; init; } = 128;
    /// <summary>Columns (bit lines) per array.</summary>
    public int Columns { get; init; } = 128;
    /// <summary>How a signed weight maps onto cells (<see cref="WeightMapping"/>).</summary>
    public WeightMapping Mapping { get; init; } = WeightMapping.Differential;
    /// <summary>Signed weight resolution (bits, sign included): levels ±(2^(wb-1) - 1).</summary>
    public int WeightBits { get; init; } = 8;
    /// <summary>Bits a cell stores: a weight takes weight_bits / bits_per_cell slices (columns).</summary>
    public int BitsPerCell { get; init; } = 1;
    /// <summary>Input resolution (bits; signed inputs add one phase under digital subtraction).</summary>
    public int InputBits { get; init; } = 8;
    /// <summary>DAC or bit-serial inputs (<see cref="InputMode"/>).</summary>
    public InputMode InputMode { get; init; } = InputMode.BitSerial;
    /// <summary>Bits applied per cycle in bit-serial mode (input_bits / input_slice_bits cycles).</summary>
    public int InputSliceBits { get; init; } = 1;
    /// <summary>Adjacent signal columns that share one ADC through a mux (1: an ADC per column).</summary>
    public int AdcShare { get; init; } = 1;
    /// <summary>Where a signed weight's two columns are subtracted (<see cref="Subtraction"/>).</summary>
    public Subtraction Subtract { get; init; } = Subtraction.Analog;

    /// <summary>Weight slices S = weight_bits / bits_per_cell.</summary>
    public int Slices => WeightBits / BitsPerCell;
    /// <summary>Input bits applied per cycle: all of them with a DAC, input_slice_bits bit-serially.</summary>
    public int CycleBits => InputMode == InputMode.Dac ? InputBits : InputSliceBits;
    /// <summary>Input cycles per vector: input_bits / cycle_bits.</summary>
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

    /// <summary>Checks every field; errors are named with the prefix <paramref name="at"/> ("core.").</summary>
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
            e.Add(at + "weight_bits", WeightBits,
                $"must be a multiple of {at}bits_per_cell ({BitsPerCell}) so weights divide into slices");
        if (InputMode == InputMode.BitSerial)
        {
            e.Range(at + "input_slice_bits", InputSliceBits, 1, InputBits);
            if (InputSliceBits >= 1 && InputBits % InputSliceBits != 0)
                e.Add(at + "input_slice_bits", InputSliceBits, $"must divide {at}input_bits ({InputBits})");
        }
    }
}
