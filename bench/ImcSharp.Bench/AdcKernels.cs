using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Running;
using BenchmarkDotNet.Toolchains.InProcess.Emit;
using ImcSharp.Config;
using ImcSharp.Converters;
using TorchSharp;
using static TorchSharp.torch;

namespace ImcSharp.Bench;

/// <summary>
/// The ADC micro-kernels on BenchmarkDotNet: one bank of 256 per-column tables converting 1M
/// partial sums (in a reused buffer, as the engine's partial sums arrive), each against the plain
/// clamp-and-round baseline of the same run (Ratio column). In process: the native library is the
/// build's patched copy, and libtorch's threads stay as they are.
/// </summary>
[MemoryDiagnoser(false)]
public class AdcKernels
{
    const int Columns = 256;
    const long PerColumn = 1_000_000 / Columns;
    Tensor _values = null!, _buffer = null!;
    IdealAdc _ideal = null!;
    ThresholdAdc _table = null!, _lut = null!;

    [Params(4, 7)]
    public int Bits { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        NativeRuntime.TuneAllocator();
        _values = (randn(1, PerColumn, Columns) * (1 << (Bits - 2))).DetachFromDisposeScope();
        _buffer = _values.clone().DetachFromDisposeScope();
        double low = -(1 << (Bits - 1));
        _ideal = new IdealAdc(Bits, new[] { low });
        var cfg = new AdcConfig { Kind = "flash", Bits = Bits }.With(new FlashParams { ComparatorSigma = 0.3 });
        using var g = new Generator(1);
        using var l = new Generator(2);
        var thresholds = AdcArchitecture.Thresholds(cfg, Columns, g, l).DetachFromDisposeScope();
        var ids = arange(Columns, ScalarType.Int64).view(1, Columns);
        _table = new ThresholdAdc(Bits, new[] { low }, thresholds, null, ids, 0, 1);
        _lut = new ThresholdAdc(Bits, new[] { low }, thresholds, Calibration.Levels(thresholds, CalibrationKind.Lut), ids, 0, 1);
    }

    Tensor Fresh() => _buffer.copy_(_values);

    [Benchmark(Baseline = true, Description = "clamp-and-round")]
    public void ClampAndRound() { using var s = NewDisposeScope(); Fresh().round_().clamp_(-(1 << (Bits - 1)), (1 << (Bits - 1)) - 1); }

    [Benchmark(Description = "ideal ADC bank")]
    public void Ideal() { using var s = NewDisposeScope(); _ideal.Convert(Fresh()); }

    [Benchmark(Description = "threshold tables (one-pass kernel)")]
    public void Tables() { using var s = NewDisposeScope(); _table.Convert(Fresh()); }

    [Benchmark(Description = "threshold tables, LUT-calibrated")]
    public void LutTables() { using var s = NewDisposeScope(); _lut.Convert(Fresh()); }

    [Benchmark(Description = "threshold tables, sorted search")]
    public void Search() { using var s = NewDisposeScope(); _table.ConvertBySearch(Fresh()); }

    [GlobalCleanup]
    public void Cleanup()
    {
        _table.Dispose();
        _lut.Dispose();
        _ideal.Dispose();
        _values.Dispose();
        _buffer.Dispose();
    }

    /// <summary>Runs the suite in process (short run: 3 warm-ups, 3 x 3 iterations); BenchmarkDotNet prints medians, minima and ratios.</summary>
    public static void Run() =>
        BenchmarkRunner.Run<AdcKernels>(ManualConfig.CreateMinimumViable()
            .AddJob(Job.ShortRun.WithToolchain(InProcessEmitToolchain.Instance))
            .AddColumn(BenchmarkDotNet.Columns.StatisticColumn.Median, BenchmarkDotNet.Columns.StatisticColumn.Min)
            .WithOptions(ConfigOptions.DisableOptimizationsValidator));
}
