using ImcSharp.Config;
using TorchSharp;
using static TorchSharp.torch;

namespace ImcSharp.Crossbar;

/// <summary>
/// How a layer of K inputs and N outputs lies on a core's arrays; the one mapping the engine
/// programs and the cost model prices. Rows split into T = ceil(K / rows) tiles (row blocks
/// driven by the same inputs); each output takes S = weight_bits / bits_per_cell signal columns
/// (a differential pair counts once), N S per tile, filling ceil(N S / columns per array) arrays
/// side by side; inside an array, adjacent groups of adc_share signal columns share one ADC.
/// With digital subtraction every physical column is converted on its own: a differential
/// pair's minus columns are wired to ADCs like the plus ones; offset mapping adds one reference
/// column per slice and tile (the tile's arrays share its inputs, so one reference serves them),
/// each with its own ADC.
/// </summary>
public sealed record LayerMapping(CoreConfig Core, long Inputs, long Outputs)
{
    /// <summary>Tiles T: the inputs over the array's rows, rounded up.</summary>
    public int Tiles => (int)((Inputs + Core.Rows - 1) / Core.Rows);
    /// <summary>Weight slices S per output.</summary>
    public int Slices => Core.Slices;
    /// <summary>Signal columns per tile: N S.</summary>
    public int SignalColumns => (int)(Outputs * Slices);
    /// <summary>Arrays side by side per tile: the signal columns over an array's, rounded up.</summary>
    public int ArraysPerTile => (SignalColumns + Core.SignalColumnsPerArray - 1) / Core.SignalColumnsPerArray;
    /// <summary>Arrays of the layer.</summary>
    public int Arrays => Tiles * ArraysPerTile;
    /// <summary>ADCs per array for its signal columns: adc_share columns share one.</summary>
    public int AdcsPerArray => (Core.SignalColumnsPerArray + Core.AdcShare - 1) / Core.AdcShare;
    /// <summary>ADCs of the signal columns (one side of a differential pair under digital subtraction).</summary>
    public int SignalAdcs => Arrays * AdcsPerArray;
    /// <summary>
    /// Physical columns in use per tile: a differential pair is two columns; offset mapping adds one reference column
    /// per slice.
    /// </summary>
    public long PhysicalColumns => Core.Mapping == WeightMapping.Offset ? SignalColumns + Slices : 2L * SignalColumns;
    /// <summary>
    /// Columns converted per tile and input cycle: N S (analog subtraction), 2 N S (pairs) or N S + S (offset,
    /// digital).
    /// </summary>
    public int ConvertedColumns => Columns.ConvertedColumns;
    /// <summary>The columns of a tile as the ADCs and the digital back end see them.</summary>
    public ColumnLayout Columns => ColumnLayout.Of(Core, (int)Outputs);
    /// <summary>ADC instances of the layer.</summary>
    public int Adcs => Columns.Arrangement switch
    {
        ColumnArrangement.Signed => SignalAdcs,
        ColumnArrangement.References => SignalAdcs + Tiles * Slices,
        _ => 2 * SignalAdcs,
    };

    /// <summary>
    /// The ADC instance converting each column [T, ConvertedColumns]: signal column j of tile t in
    /// array (t, j / spa), group (j mod spa) / adc_share; under digital subtraction the minus
    /// columns then the reference columns, numbered after the signal ADCs.
    /// </summary>
    public Tensor AdcInstanceIds()
    {
        int spa = Core.SignalColumnsPerArray;
        var t = arange(Tiles, ScalarType.Int64).unsqueeze(1);
        var j = arange(SignalColumns, ScalarType.Int64).unsqueeze(0);
        var ids = (t * ArraysPerTile + j.div(spa, rounding_mode: RoundingMode.floor)) * AdcsPerArray
                  + j.remainder(spa).div(Core.AdcShare, rounding_mode: RoundingMode.floor);
        if (!Columns.Unsigned) return ids;
        var other = Columns.SharedReference ? arange(Tiles * Slices, ScalarType.Int64).view(Tiles, Slices) + SignalAdcs
            : ids + SignalAdcs;
        return cat(new[] { ids, other }, 1);
    }
}
