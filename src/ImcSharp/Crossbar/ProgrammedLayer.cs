using ImcSharp.Config;
using ImcSharp.Converters;
using ImcSharp.Memory;
using TorchSharp;
using static TorchSharp.torch;

namespace ImcSharp.Crossbar;

/// <summary>
/// One layer as programmed on one chip: the effective cell matrix with its persistent errors,
/// column gains and offsets, and the ADC bank. A fixed object that many inferences run on.
/// All tensors are in signal units; shapes use T tiles, R rows, N*S signal columns.
/// </summary>
public sealed class ProgrammedLayer : IDisposable
{
    public LayerHardware Hardware { get; }
    public double WeightScale { get; }
    public int Inputs { get; }
    public int Outputs { get; }
    public int Tiles { get; }
    public int Slices => Hardware.Core.Slices;
    /// <summary>Signal units per ADC LSB: partial sums and the tensors below are held in LSBs.</summary>
    public double LsbUnits { get; }
    public int SignalColumns { get; }
    /// <summary>[T, N*S, R]: signal (in LSBs) per unit input of (positive - negative/reference) cells, gains folded in; one row per column.</summary>
    public Tensor EffectiveByColumn { get; }
    /// <summary>The same as a crossbar, [T, R, N*S] (a view).</summary>
    public Tensor Effective => EffectiveByColumn.transpose(1, 2);
    /// <summary>Saturation path only: absolute per-column signal matrices [T, N*S, R] of each side and the clip level.</summary>
    public (Tensor Positive, Tensor Negative, double ClipUnits)? Saturation { get; }
    /// <summary>[T, N*S, R] per-read noise variance per unit input squared, or null.</summary>
    public Tensor? ReadVariance { get; }
    /// <summary>[T, N*S, 1] additive column offset, or null.</summary>
    public Tensor? ColumnOffset { get; }
    public AdcContext AdcContext { get; }
    public IAdc Adc { get; }
    /// <summary>Per-read noise draws; seeded from the chip so a chip's run is reproducible.</summary>
    public Generator NoiseGenerator { get; }

    /// <summary>
    /// Programs integer weights <paramref name="wq"/> [N, K] (scale <paramref name="weightScale"/>)
    /// onto a chip whose random draws come from <paramref name="chipSeed"/>; draws shared by the
    /// whole chip (the ADCs' global corner) come from <paramref name="globalSeed"/>.
    /// </summary>
    public ProgrammedLayer(Tensor wq, double weightScale, LayerHardware hw, ulong chipSeed, ulong? globalSeed = null, int? corner = null)
    {
        using var scope = NewDisposeScope();
        Hardware = hw;
        WeightScale = weightScale;
        Outputs = (int)wq.shape[0];
        Inputs = (int)wq.shape[1];
        var core = hw.Core;
        var sliced = WeightSlicing.Slice(wq, core);
        Tiles = sliced.Tiles;
        SignalColumns = sliced.SignalColumns;
        var gen = new Generator(chipSeed);
        int levels = 1 << core.BitsPerCell;

        var pos = CellModels.Program(hw.Cell, levels, sliced.Positive, gen);
        var neg = CellModels.Program(hw.Cell, levels, sliced.Negative, gen);
        var gainPos = ArrayPhysics.ColumnGain(hw, pos);
        var gainNeg = ArrayPhysics.ColumnGain(hw, neg);

        var (unit, quantity) = ArrayPhysics.SignalUnit(hw);
        AdcContext = new AdcContext(unit, quantity, ArrayPhysics.FullScaleUnits(core), AdcInstanceIds(core, Tiles, sliced.SignalColumns, out int instances).DetachFromDisposeScope(),
            instances, globalSeed ?? chipSeed, chipSeed ^ 0x94D049BB133111EBUL, corner);
        Adc = AdcFactory.Build(hw.Adc, AdcContext);
        // Everything analog is held in the ADC's LSBs: the scaling costs nothing at run time.
        double perLsb = 1.0 / Adc.NominalScale.Lsb;
        LsbUnits = Adc.NominalScale.Lsb;
        Tensor Side(CellState c, Tensor? gain, double baseline) =>
            Expand((baseline == 0 ? c.Contribution : c.Contribution + baseline) * (gain ?? ones(1)) * perLsb, sliced);
        static Tensor ByColumn(Tensor t) => t.transpose(1, 2).contiguous().DetachFromDisposeScope();

        // Level-0 cells (G_min) cancel between the two sides only when both columns have the same gain.
        bool unequalGains = gainPos is not null || gainNeg is not null;
        EffectiveByColumn = ByColumn(Side(pos, gainPos, unequalGains ? pos.Baseline : 0) - Side(neg, gainNeg, unequalGains ? neg.Baseline : 0));
        if (hw.Array.MaxColumnCurrent is { } iMax)
            Saturation = (ByColumn(Side(pos, gainPos, pos.Baseline)), ByColumn(Side(neg, gainNeg, neg.Baseline)), iMax / unit * perLsb);
        if (pos.ReadSigma is { } sp && neg.ReadSigma is { } sn)
            ReadVariance = ByColumn((Expand(sp.square() * (gainPos ?? ones(1)).square(), sliced) + Expand(sn.square() * (gainNeg ?? ones(1)).square(), sliced))
                .mul_(perLsb * perLsb));
        if (hw.Array.Mode == ArrayMode.Charge && hw.Array.OffsetSigma > 0)
            ColumnOffset = (randn(new long[] { Tiles, sliced.SignalColumns, 1 }, generator: gen) * (hw.Array.OffsetSigma / unit * perLsb)).DetachFromDisposeScope();
        NoiseGenerator = new Generator(chipSeed ^ 0x9E3779B97F4A7C15UL);
    }

    /// <summary>Offset mapping's shared reference column [T, R, S] is broadcast to every output's slices.</summary>
    static Tensor Expand(Tensor side, SlicedWeights w)
    {
        if (!w.SharedReference || side.shape[2] == w.SignalColumns) return side;
        return side.unsqueeze(2).expand(w.Tiles, w.Rows, w.Outputs, w.Slices).reshape(w.Tiles, w.Rows, w.SignalColumns);
    }

    /// <summary>
    /// Which physical ADC converts signal column j of tile t: the layer's signal columns fill
    /// arrays of <see cref="CoreConfig.SignalColumnsPerArray"/>; inside an array, adjacent groups of
    /// <see cref="CoreConfig.AdcShare"/> columns share one ADC.
    /// </summary>
    public static Tensor AdcInstanceIds(CoreConfig core, int tiles, int signalColumns, out int instances)
    {
        int spa = core.SignalColumnsPerArray;
        int arraysPerTile = (signalColumns + spa - 1) / spa;
        int adcsPerArray = (spa + core.AdcShare - 1) / core.AdcShare;
        var t = arange(tiles, ScalarType.Int64).unsqueeze(1);
        var j = arange(signalColumns, ScalarType.Int64).unsqueeze(0);
        instances = tiles * arraysPerTile * adcsPerArray;
        return (t * arraysPerTile + j.div(spa, rounding_mode: RoundingMode.floor)) * adcsPerArray
               + j.remainder(spa).div(core.AdcShare, rounding_mode: RoundingMode.floor);
    }

    public void Dispose()
    {
        EffectiveByColumn.Dispose();
        if (Saturation is { } s) { s.Positive.Dispose(); s.Negative.Dispose(); }
        ReadVariance?.Dispose();
        ColumnOffset?.Dispose();
        AdcContext.InstanceIds.Dispose();
        Adc.Dispose();
        NoiseGenerator.Dispose();
    }
}
