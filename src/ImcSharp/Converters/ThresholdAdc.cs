using ImcSharp.Config;
using TorchSharp;
using static TorchSharp.torch;

namespace ImcSharp.Converters;

/// <summary>
/// The ADC bank of one programmed layer built from threshold tables: each signal column uses the
/// thresholds of the physical ADC instance it is wired to. Input in the column's LSB units, code 0
/// at the column's low code (see <see cref="IAdc.LowCodes"/>); code = sorted search of the column's
/// thresholds; output the nominal level of the code (uncalibrated back-end) or the calibrated level of that code.
/// </summary>
public sealed class ThresholdAdc : IAdc
{
    public int Bits { get; }
    public double[] LowCodes { get; }
    readonly Tensor _columnThresholds;   // [T*J, M] sorted, float32, in the column's LSB units
    // [T*J, 2^N] level per code (calibrated, or nominal when low codes differ by column), or null
    readonly Tensor? _columnLevels;
    readonly double _noise;
    readonly Generator _noiseGen;
    readonly Tensor _instanceSorted;     // [instances, M] float64, for the mean transfer curve
    readonly ThresholdGrid? _grid;       // exact one-pass conversion; null falls back to the sorted search
    readonly Dictionary<AdcGradient, Tensor> _slopes = new();
    readonly bool _calibrated;

    /// <param name="instanceThresholds">[instances, M] unipolar thresholds (LSB) of this chip's ADCs.</param>
    /// <param name="instanceLevels">[instances, 2^N] calibrated levels (unipolar LSB), or null for the nominal
    /// map.</param>
    /// <param name="lowCodes">Code-0 level per converted column of a tile ([J], see <see cref="IAdc.LowCodes"/>), or
    /// one for all.</param>
    /// <param name="instanceIds">[T, J] physical ADC of each converted column.</param>
    /// <param name="target">Device of the tables (built on the CPU, then moved) and whether the threshold grid may run
    /// (default: the CPU, kernels on).</param>
    public ThresholdAdc(int bits, double[] lowCodes, Tensor instanceThresholds, Tensor? instanceLevels,
        Tensor instanceIds, double noiseSigma, ulong noiseSeed,
        ComputeTarget? target = null)
    {
        target ??= ComputeTarget.Cpu;
        instanceThresholds = instanceThresholds.cpu();
        instanceLevels = instanceLevels?.cpu();
        instanceIds = instanceIds.cpu();
        using var scope = NewDisposeScope();
        Bits = bits;
        LowCodes = lowCodes;
        var ids = instanceIds.flatten();
        // Unipolar code grid to the column's: level of code k is lowCode + k.
        bool uniform = lowCodes.Distinct().Count() == 1;
        var low = uniform ? tensor(lowCodes[0], ScalarType.Float64)
            : tensor(lowCodes).unsqueeze(0).expand(instanceIds.size(0), -1).reshape(-1, 1);
        _instanceSorted = instanceThresholds.sort(1).Values.to_type(ScalarType.Float64).DetachFromDisposeScope();
        _columnThresholds =
            (_instanceSorted.index_select(0, ids) + low).to_type(ScalarType.Float32).to(target.Device).contiguous()
            .DetachFromDisposeScope();
        var levels = instanceLevels is not null ? instanceLevels.index_select(0, ids)
            : uniform ? null : arange(0, 1L << bits, ScalarType.Float64).unsqueeze(0).expand(ids.size(0), -1);
        _columnLevels =
            levels is null ? null
            : (levels + low).to_type(ScalarType.Float32).to(target.Device).contiguous().DetachFromDisposeScope();
        _calibrated = instanceLevels is not null;
        _noise = noiseSigma;
        _noiseGen = new Generator(noiseSeed);
        _grid = target.UsesKernels ? ThresholdGrid.TryBuild(_columnThresholds, uniform ? lowCodes[0] : 0, _columnLevels)
            : null;
    }

    /// <summary>Nominal levels (no calibrated back-end) on integer low codes are integers.</summary>
    public bool IntegerLevels => !_calibrated && LowCodes.All(v => (float)v == Math.Round(v));

    /// <summary>
    /// True when conversions take the one-pass grid (<see cref="ThresholdGrid"/>), false on the sorted search.
    /// </summary>
    public bool UsesGrid => _grid is not null;

    /// <summary>Mean slope over this chip's instances: the chip's mean curve, its global corner included.</summary>
    public Tensor SlopeTable(AdcGradient mode)
    {
        lock (_slopes)
            return _slopes.TryGetValue(mode, out var t) ? t : _slopes[mode] =
                AdcSlope.Table(Bits, mode, _instanceSorted);
    }

    public Tensor Convert(Tensor p)
    {
        if (_grid is not null && p.dtype == ScalarType.Float32)
        {
            var x = _noise > 0 ? p.add(randn(p.Sizes(), generator: _noiseGen).mul_(_noise)) : p;
            return _grid.ConvertInPlace(x.contiguous());
        }
        return ConvertBySearch(p);
    }

    /// <summary>The reference path: a sorted search per column (any threshold layout).</summary>
    public Tensor ConvertBySearch(Tensor p)
    {
        // [T, cycles*B, N*S] -> one row per column: the sorted search runs over each column's own table.
        long t = p.size(0), samples = p.size(1), columns = p.size(2);
        // The conversion noise: the bank's CPU generator whatever the device, drawn in the layout of the grid path, so
        // both give the same codes.
        if (_noise > 0) p = p.add(randn(p.Sizes(), generator: _noiseGen).to(p.device).mul_(_noise));
        var rows = p.transpose(1, 2).reshape(t * columns, samples).contiguous();
        var codes = searchsorted(_columnThresholds, rows, out_int32: true, right: true);
        var levels = _columnLevels is not null
            ? _columnLevels.gather(1, codes.to_type(ScalarType.Int64))
            : codes.to_type(ScalarType.Float32).add_(LowCodes[0]);
        return levels.view(t, columns, samples).transpose(1, 2).contiguous();
    }

    public void Dispose()
    {
        _columnThresholds.Dispose();
        _columnLevels?.Dispose();
        _instanceSorted.Dispose();
        _grid?.Dispose();
        _noiseGen.Dispose();
        foreach (var t in _slopes.Values) t.Dispose();
        _slopes.Clear();
    }
}
