using ImcSharp.Config;
using ImcSharp.Converters;
using ImcSharp.Memory;
using TorchSharp;
using static TorchSharp.torch;

namespace ImcSharp.Crossbar;

/// <summary>
/// One layer as programmed on one chip: the cell matrices of the columns the ADCs convert, with
/// their persistent errors, column gains and offsets, and the ADC bank. A fixed object that many
/// inferences run on. Shapes use T tiles, R rows, N outputs, S slices and J converted columns:
/// with analog subtraction J = N*S signal columns (column j = n*S + s holds pair or weight minus
/// reference); with digital subtraction the physical columns, J = 2 N*S (positive columns, then
/// negative ones) for differential pairs or N*S + S (weight columns, then one reference column per
/// slice) for offset mapping. Every converted column is held in its slice's ADC LSBs.
/// A stack of K chips of one layer (<see cref="Stack"/>) is one such object whose tensors hold the
/// chips' tiles one after another (K T of them) and whose inputs and outputs hold the chips'
/// samples one after another: the Monte Carlo evaluates several chips in one batched pass.
/// </summary>
public sealed class ProgrammedLayer : IDisposable
{
    /// <summary>The design this layer was programmed with (core, cell, array, ADC).</summary>
    public LayerHardware Hardware { get; }
    /// <summary>The device this chip's tensors live on and whether the CPU kernels run.</summary>
    public ComputeTarget Target { get; }
    /// <summary>The weights' quantization step s_w: a weight is Wq s_w.</summary>
    public double WeightScale { get; }
    /// <summary>Inputs K of the weight matrix (rows used over all tiles).</summary>
    public int Inputs { get; }
    /// <summary>Outputs N of the weight matrix.</summary>
    public int Outputs { get; }
    /// <summary>Tiles of one chip.</summary>
    public int Tiles { get; }
    /// <summary>Chips held (1, or K for a <see cref="Stack"/>); tensors with a tile axis hold Chips x Tiles.</summary>
    public int Chips => _members.Length;
    /// <summary>The chips of a stack, in order (this layer itself when it is one chip).</summary>
    public IReadOnlyList<ProgrammedLayer> Members => _members;
    readonly ProgrammedLayer[] _members;
    /// <summary>Weight slices S per output.</summary>
    public int Slices => Hardware.Core.Slices;
    /// <summary>
    /// Which converted column holds which slice, pair side or reference, and what is subtracted where.
    /// </summary>
    public ColumnLayout Columns { get; }
    /// <summary>Signal columns N S per tile.</summary>
    public int SignalColumns => Columns.SignalColumns;
    /// <summary>Columns the ADCs convert per tile (see the class summary).</summary>
    public int ConvertedColumns => Columns.ConvertedColumns;
    /// <summary>[J] weight slice of each converted column.</summary>
    public int[] ColumnSlices { get; }
    /// <summary>The ADC range of each weight slice (signal units).</summary>
    public IReadOnlyList<SliceRange> Ranges { get; }
    /// <summary>
    /// [S] digital weight of a slice's code in signal units: 2^(b s) x LSB_s (shift-and-add with the LSB folded in).
    /// </summary>
    public Tensor SliceWeights { get; }
    /// <summary>
    /// [T, J, R]: signal (in the column's LSBs) per unit input of each converted column, gains folded in; one row per
    /// column.
    /// </summary>
    public Tensor EffectiveByColumn { get; }
    /// <summary>
    /// Analog subtraction with saturating columns: the two sides' absolute matrices [T, N*S, R], each clipped before
    /// the subtraction.
    /// </summary>
    public (Tensor Positive, Tensor Negative)? Saturation { get; }
    /// <summary>
    /// [J] clip level of each converted column's physical column (its LSBs), or null without saturation.
    /// </summary>
    public Tensor? Clip { get; }
    /// <summary>[T, J, R] per-read noise variance per unit input squared, or null.</summary>
    public Tensor? ReadVariance { get; }
    /// <summary>[T, J, 1] additive column offset, or null.</summary>
    public Tensor? ColumnOffset { get; }
    /// <summary>Where this chip's ADC instances sit and the seeds and corner they were drawn with.</summary>
    public AdcContext AdcContext { get; }
    /// <summary>Physical value of one signal unit (A in current mode, V in charge mode) and its quantity.</summary>
    public (double Unit, string Quantity) SignalUnit { get; }
    /// <summary>The bank of ADCs converting this layer's columns.</summary>
    public IAdc Adc { get; }
    /// <summary>Seed of this layer's random draws on its chip (cells, local ADC mismatch, read noise).</summary>
    public ulong ChipSeed { get; }
    bool _ownsAdc = true;
    /// <summary>Per-read noise draws; keyed by the chip so a chip's run is reproducible.</summary>
    public ReadNoiseStream ReadNoise { get; }
    /// <summary>
    /// [N] (a stack: [K, N]) the outputs at zero input (integer domain), subtracted by the digital
    /// back end once measured (<see cref="OffsetTrim"/>, when the ADC config asks for a trim); null otherwise.
    /// </summary>
    public Tensor? OutputOffset { get; internal set; }
    /// <summary>
    /// [T] (a stack: [K T]) the digital scale of each tile's outputs set by global drift compensation
    /// (<see cref="DriftCompensation"/>); null without it.
    /// </summary>
    public Tensor? TileScale { get; internal set; }
    /// <summary>
    /// The per-output gain and offset registers applied after the trim (<see cref="OutputGainCalibration"/>), set per
    /// chip at deployment (on a stack: every chip's, [K, N]); null without them.
    /// </summary>
    public GainRegisters? OutputGain { get; internal set; }

    /// <summary>
    /// Programs integer weights <paramref name="wq"/> [N, K] (scale <paramref name="weightScale"/>)
    /// onto a chip whose random draws come from <paramref name="chipSeed"/>; draws shared by the
    /// whole chip (the ADCs' global corner) come from <paramref name="globalSeed"/>.
    /// <paramref name="ranges"/>: calibrated ADC ranges per slice (one entry: all slices), else the config's.
    /// Programmed on the CPU, then held on <paramref name="target"/>'s device (default: <paramref name="wq"/>'s,
    /// with the CPU kernels; see <see cref="ComputeTarget"/>). <paramref name="previous"/>: the
    /// layer's chip before reprogramming; when it is the same chip (seeds, corner, design, ranges,
    /// shape and target), its ADC bank is taken over rather than drawn again: the converters do not
    /// change when weights are rewritten, and their temporal noise goes on from where it was.
    /// </summary>
    public ProgrammedLayer(Tensor wq, double weightScale, LayerHardware hw, ulong chipSeed, ulong? globalSeed = null,
        int? corner = null,
        IReadOnlyList<SliceRange>? ranges = null, ComputeTarget? target = null, ProgrammedLayer? previous = null)
    {
        using var scope = NewDisposeScope();
        _members = new[] { this };
        Target = target ?? new ComputeTarget(wq.device);
        // Every draw from CPU generators: the same seed gives the same chip on any device.
        wq = wq.cpu();
        Hardware = hw;
        WeightScale = weightScale;
        Outputs = (int)wq.size(0);
        Inputs = (int)wq.size(1);
        var core = hw.Core;
        int S = core.Slices;
        var sliced = WeightSlicing.Slice(wq, core);
        Tiles = sliced.Tiles;
        Columns = ColumnLayout.Of(core, Outputs);
        var mapping = new LayerMapping(core, Inputs, Outputs);
        var gen = new Generator(chipSeed);
        int levels = 1 << core.BitsPerCell;

        var pos = CellModels.Program(hw.Cell, levels, sliced.Positive, gen, Target);
        var neg = CellModels.Program(hw.Cell, levels, sliced.Negative, gen, Target);
        var gainPos = ArrayPhysics.ColumnGain(hw, pos);
        var gainNeg = ArrayPhysics.ColumnGain(hw, neg);
        var solved = ArraySolvers.Of(hw.Array) is IArrayCircuit circuit
            ? circuit.SolvedLevels(hw, pos, neg, sliced) : ((Tensor Positive, Tensor Negative)?)null;

        SignalUnit = ArrayPhysics.SignalUnit(hw);
        var fallback = AdcScales.Default(hw.Adc, core.Subtract, SignalUnit.Unit, ArrayPhysics.FullScaleUnits(core));
        Ranges = ranges is { Count: > 0 } r ? Enumerable.Range(0, S).Select(s => r[Math.Min(s, r.Count - 1)]).ToArray()
            : Enumerable.Repeat(fallback, S).ToArray();
        var columnSlice = ColumnSlices = Columns.ColumnSlices();
        var perLsb = tensor(columnSlice.Select(s => (float)(1 / Ranges[s].Lsb)).ToArray());            // [J]
        SliceWeights =
            tensor(Enumerable.Range(0, S).Select(s => (float)(Math.Pow(2, core.BitsPerCell * s) * Ranges[s].Lsb))
            .ToArray(), device: Target.Device).DetachFromDisposeScope();

        ChipSeed = chipSeed;
        if (previous is not null && previous._ownsAdc && previous.ChipSeed == chipSeed
            && previous.AdcContext.GlobalSeed == (globalSeed ?? chipSeed)
            && previous.AdcContext.Corner == corner && previous.Hardware == hw
                && previous.Target.Kernels == Target.Kernels
            && previous.Target.Device.type == Target.Device.type && previous.Target.Device.index == Target.Device.index
            && previous.Inputs == Inputs && previous.Outputs == Outputs && previous.Ranges.SequenceEqual(Ranges))
        {
            (AdcContext, Adc) = (previous.AdcContext, previous.Adc);
            previous._ownsAdc = false;
        }
        else
        {
            var ids = mapping.AdcInstanceIds();
            AdcContext =
                new AdcContext(ids.DetachFromDisposeScope(), mapping.Adcs, globalSeed ?? chipSeed,
                Seeds.AdcLocal(chipSeed), corner);
            Adc = AdcFactory.Build(hw.Adc, AdcContext, columnSlice.Select(s => Ranges[s].LowCode).ToArray(), Target);
        }

        // Everything analog is held in the column's LSBs: the scaling costs nothing at run time.
        Tensor Raw(CellState c, Tensor? gain, double baseline)
        {
            var level = baseline == 0 ? c.Contribution : c.Contribution + baseline;
            return gain is null ? level : level * gain;
        }
        Tensor Side(CellState c, Tensor? gain, double baseline) => Expand(Raw(c, gain, baseline), sliced);
        Tensor ByColumn(Tensor t) =>
            t.mul(perLsb).transpose(1, 2).to(Target.Device).contiguous().DetachFromDisposeScope();

        if (solved is { } solvedLevels)
        {
            // The stage solved the arrays: whole currents per side, which a pair subtracts as they are.
            var (p, n) = (Expand(solvedLevels.Positive, sliced), Expand(solvedLevels.Negative, sliced));
            EffectiveByColumn =
                ByColumn(Columns.Unsigned ? cat(new[] { solvedLevels.Positive, solvedLevels.Negative }, 2) : p - n);
            if (!Columns.Unsigned && hw.Array.MaxColumnCurrent is not null) Saturation = (ByColumn(p), ByColumn(n));
        }
        else if (Columns.Unsigned)
        {
            // A physical column carries its cells' whole current (level-0 cells included); converted columns in order.
            EffectiveByColumn =
                ByColumn(cat(new[] { Raw(pos, gainPos, pos.Baseline), Raw(neg, gainNeg, neg.Baseline) }, 2));
        }
        else
        {
            // Level-0 cells (G_min) cancel between the two sides only when both columns have the same gain.
            bool unequalGains = gainPos is not null || gainNeg is not null;
            EffectiveByColumn =
                ByColumn(Side(pos, gainPos, unequalGains ? pos.Baseline : 0)
                - Side(neg, gainNeg, unequalGains ? neg.Baseline : 0));
            if (hw.Array.MaxColumnCurrent is not null)
                Saturation = (ByColumn(Side(pos, gainPos, pos.Baseline)), ByColumn(Side(neg, gainNeg, neg.Baseline)));
        }
        if (hw.Array.MaxColumnCurrent is { } iMax)
            Clip = (perLsb * (float)(iMax / SignalUnit.Unit)).to(Target.Device).DetachFromDisposeScope();
        if (pos.ReadSigma is { } sp && neg.ReadSigma is { } sn)
        {
            var vp = gainPos is null ? sp.square() : sp.square() * gainPos.square();
            var vn = gainNeg is null ? sn.square() : sn.square() * gainNeg.square();
            var lsb2 = perLsb.square();
            ReadVariance =
                (Columns.Unsigned ? cat(new[] { vp, vn }, 2) : Expand(vp, sliced) + Expand(vn, sliced)).mul(lsb2)
                .transpose(1, 2).to(Target.Device).contiguous().DetachFromDisposeScope();
        }
        if (ArrayModel.Of(hw.Array).ColumnOffset(hw, Tiles, ConvertedColumns, SignalUnit.Unit, gen) is { } offset)
            ColumnOffset = (offset * perLsb.view(1, -1, 1)).to(Target.Device).DetachFromDisposeScope();
        ReadNoise = new ReadNoiseStream(Seeds.ReadNoise(chipSeed));
    }

    /// <summary>
    /// Offset mapping's shared reference column [T, R, S] (or its gain [T, 1, S]) broadcast to every output's slices.
    /// </summary>
    static Tensor Expand(Tensor side, SlicedWeights w)
    {
        if (!w.SharedReference || side.size(2) == w.SignalColumns) return side;
        return side.unsqueeze(2).expand(side.size(0), side.size(1), w.Outputs, w.Slices).reshape(side.size(0),
            side.size(1), w.SignalColumns);
    }

    /// <summary>
    /// K chips of one layer (same weights, hardware, ranges and device; their own cells, ADCs and
    /// noise streams) as one layer whose tile axis holds chip 0's tiles, then chip 1's, and so on.
    /// Each chip computes what it computes alone: the same matrices, its own read-noise stream and
    /// ADC bank on its block of partial sums. The stack owns the chips and frees them with itself.
    /// </summary>
    public static ProgrammedLayer Stack(IReadOnlyList<ProgrammedLayer> chips)
    {
        if (chips.Count == 0) throw new ArgumentException("a stack needs at least one chip", nameof(chips));
        return chips.Count == 1 ? chips[0] : new ProgrammedLayer(chips);
    }

    ProgrammedLayer(IReadOnlyList<ProgrammedLayer> chips)
    {
        var first = chips[0];
        foreach (var c in chips)
            if (c.Chips != 1 || c.Hardware != first.Hardware || c.Inputs != first.Inputs || c.Outputs != first.Outputs
                || c.WeightScale != first.WeightScale
                || !c.Ranges.SequenceEqual(first.Ranges) || c.Target.Kernels != first.Target.Kernels
                    || c.Target.Device.type != first.Target.Device.type
                || c.Target.Device.index != first.Target.Device.index)
                throw new ArgumentException(
                    "a stack holds chips of one layer: same weights, hardware, ranges and device", nameof(chips));
        _members = chips.ToArray();
        _ownsAdc = false;   // the chips own their banks; a stack's is never taken over by reprogramming
        (Hardware, Target, WeightScale, Inputs, Outputs, Tiles) =
            (first.Hardware, first.Target, first.WeightScale, first.Inputs, first.Outputs, first.Tiles);
        (Columns, ColumnSlices, Ranges) = (first.Columns, first.ColumnSlices, first.Ranges);
        (AdcContext, SignalUnit, ChipSeed, ReadNoise) =
            (first.AdcContext, first.SignalUnit, first.ChipSeed, first.ReadNoise);
        Tensor Cat(Func<ProgrammedLayer, Tensor> part) => cat(chips.Select(part).ToArray(), 0).DetachFromDisposeScope();
        // The matrices the array stage multiplies by, stacked: one batched product for every chip.
        SliceWeights = first.SliceWeights.alias().DetachFromDisposeScope();
        EffectiveByColumn = Cat(c => c.EffectiveByColumn);
        if (first.Saturation is not null) Saturation =
            (Cat(c => c.Saturation!.Value.Positive), Cat(c => c.Saturation!.Value.Negative));
        Clip = first.Clip?.alias().DetachFromDisposeScope();
        if (first.ReadVariance is not null) ReadVariance = Cat(c => c.ReadVariance!);
        if (first.ColumnOffset is not null) ColumnOffset = Cat(c => c.ColumnOffset!);
        if (first.TileScale is not null) TileScale = Cat(c => c.TileScale!);
        if (first.OutputOffset is not null) OutputOffset =
            stack(chips.Select(c => c.OutputOffset!).ToArray()).DetachFromDisposeScope();
        Adc = new StackedAdc(chips.Select(c => c.Adc).ToArray(), first.Tiles);
    }

    /// <summary>
    /// In place: each chip's read noise on its block of partial sums <paramref name="p"/> [K T, rows, J]
    /// (variance alike), from the chip's own stream, as it would draw alone.
    /// </summary>
    public void AddReadNoise(Tensor p, Tensor variance)
    {
        if (Chips == 1) { ReadNoise.AddScaled(p, variance, Target); return; }
        for (int k = 0; k < Chips; k++)
        {
            using var pk = p.narrow(0, (long)k * Tiles, Tiles);
            using var vk = variance.narrow(0, (long)k * Tiles, Tiles);
            _members[k].ReadNoise.AddScaled(pk, vk, Target);
        }
    }

    // Per programmed matrix and kernel shape: the matrix's tile kernels (built on first use, freed with the chip).
    readonly Dictionary<(object Matrix, long Channels, long KernelH, long KernelW), Tensor[]> _tileKernels =
        new(new MatrixKey());

    /// <summary>
    /// The tile kernels of one of this chip's programmed matrices [T, J, R] for convolution
    /// <paramref name="conv"/> (see <see cref="ConvGeometry.TileKernels"/>), built once per chip.
    /// </summary>
    public IReadOnlyList<Tensor> TileKernels(Tensor byColumn, ConvGeometry conv)
    {
        var key = ((object)byColumn, conv.Channels, conv.KernelH, conv.KernelW);
        lock (_tileKernels)
        {
            if (_tileKernels.TryGetValue(key, out var k)) return k;
            using var scope = NewDisposeScope();
            k = conv.TileKernels(byColumn);
            foreach (var t in k) t.DetachFromDisposeScope();
            return _tileKernels[key] = k;
        }
    }

    sealed class MatrixKey : IEqualityComparer<(object Matrix, long Channels, long KernelH, long KernelW)>
    {
        public bool Equals((object Matrix, long Channels, long KernelH, long KernelW) a,
            (object Matrix, long Channels, long KernelH, long KernelW) b) =>
            ReferenceEquals(a.Matrix, b.Matrix)
                && (a.Channels, a.KernelH, a.KernelW) == (b.Channels, b.KernelH, b.KernelW);
        public int GetHashCode((object Matrix, long Channels, long KernelH, long KernelW) k) =>
            HashCode.Combine(System.Runtime.CompilerServices.RuntimeHelpers.GetHashCode(k.Matrix), k.Channels,
                k.KernelH, k.KernelW);
    }

    /// <summary>Frees the chip's native tensors (a stack frees only its own; the chips keep theirs).</summary>
    public void Dispose()
    {
        if (_members.Length > 1)
        {
            foreach (var t in new[] { EffectiveByColumn, SliceWeights, Clip, ReadVariance, ColumnOffset, OutputOffset,
                TileScale, Saturation?.Positive, Saturation?.Negative }) t?.Dispose();
            OutputGain?.Dispose();
            foreach (var c in _members) c.Dispose();
            return;
        }
        foreach (var k in _tileKernels.Values) foreach (var t in k) t.Dispose();
        _tileKernels.Clear();
        EffectiveByColumn.Dispose();
        SliceWeights.Dispose();
        if (Saturation is { } s) { s.Positive.Dispose(); s.Negative.Dispose(); }
        Clip?.Dispose();
        ReadVariance?.Dispose();
        ColumnOffset?.Dispose();
        OutputOffset?.Dispose();
        TileScale?.Dispose();
        OutputGain?.Dispose();
        if (_ownsAdc)
        {
            AdcContext.InstanceIds.Dispose();
            Adc.Dispose();
        }
    }
}
