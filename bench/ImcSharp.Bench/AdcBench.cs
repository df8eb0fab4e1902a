using ImcSharp.Config;
using ImcSharp.Converters;
using ImcSharp.Data;
using ImcSharp.Models;
using ImcSharp.Nn;
using TorchSharp;
using static TorchSharp.torch;

namespace ImcSharp.Bench;

/// <summary>
/// ADC conversion speed: 10 million values through 256 per-column 7-bit threshold tables against
/// a plain elementwise clamp-and-round, and whole-network cost of non-ideal ADCs against the ideal
/// quantizer on the same cores. The 10M comparison is given two ways: in a reused buffer with the
/// refill taken out (data in cache: the engine's case, partial sums fresh from the matmul) and on
/// a fresh copy each run (page faults included).
/// </summary>
public static class AdcBench
{
    public static List<Measurement> Run()
    {
        var results = new List<Measurement>();
        const int columns = 256, bits = 7;
        const long perColumn = 10_000_000 / columns;
        using var values = (randn(1, perColumn, columns) * 30).DetachFromDisposeScope();   // [tiles, samples, columns]
        // Every run refills one preallocated buffer (no fresh pages); the copy is timed alone and taken out.
        using var buffer = values.clone().DetachFromDisposeScope();
        Measurement Time(string name, Func<Tensor, Tensor> convert, bool fresh = false)
        {
            var m = Harness.Time(name, () => { using var s = NewDisposeScope(); convert(fresh ? values.clone() : buffer.copy_(values)); }, columns * perColumn, "values/s");
            results.Add(m);
            return m;
        }
        var copy = Time("copy into the buffer (subtracted below)", x => x);
        var clamp = Time("clamp-and-round, 10M values", x => x.round_().clamp_(-64, 63));
        using var ideal = new IdealAdc(bits, new[] { -64.0 });
        var idealBank = Time("ideal ADC bank, 10M values", ideal.Convert);
        var cfg = new AdcConfig { Kind = "flash", Bits = bits }.With(new FlashParams { ComparatorSigma = 0.3 });
        using var g = new Generator(1);
        using var l = new Generator(2);
        var thresholds = AdcArchitecture.Thresholds(cfg, columns, g, l);
        var ids = arange(columns, ScalarType.Int64).view(1, columns);
        using var table = new ThresholdAdc(bits, new[] { -64.0 }, thresholds, null, ids, 0, 1);
        var tables = Time("256 per-column 7-bit tables, 10M values", table.Convert);
        var search = Time("  same, sorted search (reference path)", table.ConvertBySearch);
        using var lut = new ThresholdAdc(bits, new[] { -64.0 }, thresholds, Calibration.Levels(thresholds, CalibrationKind.Lut), ids, 0, 1);
        var lutTables = Time("  same, LUT-calibrated", lut.Convert);
        // The same two on a fresh copy each run (new pages, as a caller that does not reuse memory sees it).
        var clampFresh = Time("clamp-and-round on a fresh copy", x => x.round_().clamp_(-64, 63), fresh: true);
        var tableFresh = Time("256 per-column tables on a fresh copy", table.Convert, fresh: true);
        Console.WriteLine($"  on a fresh copy each run (minima): threshold tables {tableFresh.MinSeconds / clampFresh.MinSeconds:F2}x clamp-and-round");
        // Minima: the refill is a few ms and medians of a shared VM wander by as much.
        double Net(Measurement m) => Math.Max(1e-6, m.MinSeconds - copy.MinSeconds);
        Console.WriteLine($"  without the buffer refill (minima): clamp-and-round {columns * perColumn / Net(clamp) / 1e6:F0} M values/s; threshold tables "
            + $"{columns * perColumn / Net(tables) / 1e6:F0} M values/s = {Net(tables) / Net(clamp):F2}x clamp-and-round "
            + $"(LUT-calibrated {Net(lutTables) / Net(clamp):F2}x, sorted search {Net(search) / Net(clamp):F2}x, ideal ADC bank {Net(idealBank) / Net(clamp):F2}x)");
        return results;
    }

    /// <summary>Whole networks on PUMA-style cores: non-ideal ADC kinds against the ideal quantizer.</summary>
    public static List<Measurement> Networks()
    {
        var results = new List<Measurement>();

        // Whole networks on PUMA-style cores: non-ideal ADC kinds against the ideal quantizer.
        using var test = DatasetCatalog.Load("fashion-mnist", null, Split.Test);
        var norm = test.ComputeNormalization();
        using var x = norm.Apply(test.Images.narrow(0, 0, 1000));
        // PUMA-style bit-serial cores (MLP and LeNet-5), then the approx-adc experiment's designs (DAC inputs, 2 slices, calibrated range).
        var cases = new List<(string Model, string Label, HardwareConfig[] Designs)>();
        foreach (var name in new[] { "mlp", "lenet5" })
            // One core for all three kinds (speed only): the unipolar CCO takes the pair's signed sum on a mid-scale bias.
            cases.Add((name, "PUMA cores", new[] { "ideal", "sar", "cco" }
                .Select(k => AnalogBench.PumaBitSerial with { Adc = AnalogBench.PumaBitSerial.Adc with { Kind = k, Bias = k == "cco" ? AdcBias.MidScale : AdcBias.None } }).ToArray()));
        // Then the realistic designs: every bit line converted on its own (digital subtraction) against the same CCO on the pair's analog difference.
        foreach (var path in new[] { "experiments/hw/current-rram-cco.json", "experiments/hw/charge-cap-sar.json",
                     "experiments/hw/current-rram-cco-realistic-analog.json", "experiments/hw/current-rram-cco-realistic.json", "experiments/hw/charge-cap-sar-realistic.json" })
        {
            var approx = HardwareConfig.Load(path);
            cases.Add(("lenet5", approx.Name, new[] { approx with { Adc = new AdcConfig { Kind = "ideal", Bits = approx.Adc.Bits, Range = approx.Adc.Range } }, approx }));
        }
        foreach (var (name, label, designs) in cases)
        {
            manual_seed(1);
            using var model = new ModelSpec(name, 1, 28, 28, 10).Build();
            model.eval();
            Measurement? ideal = null;
            foreach (var hw in designs)
            {
                AnalogConversion.Convert(model, hw);
                AnalogConversion.CalibrateInputs(model, x);
                AnalogConversion.Program(model, 0);
                var m = Harness.Time($"{name} {label}, {hw.Adc.Kind} ADC", () =>
                {
                    using var s = NewDisposeScope();
                    using var ng = no_grad();
                    model.call(x);
                }, 1000, "images/s", warmup: 1, repeats: 5);
                results.Add(m);
                ideal ??= m;
                // Minimum times too: on a shared VM they are the steadier comparison.
                Console.WriteLine($"  {name} {label} {hw.Adc.Kind}: {Harness.Ratio(m, ideal, "the ideal quantizer")}");
            }
        }
        return results;
    }
}
