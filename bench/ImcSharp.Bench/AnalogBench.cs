using ImcSharp.Config;
using ImcSharp.Crossbar;
using ImcSharp.Data;
using ImcSharp.Models;
using ImcSharp.Nn;
using TorchSharp;
using static TorchSharp.torch;

namespace ImcSharp.Bench;

/// <summary>
/// Analog inference speed against float inference and against the bare matmul arithmetic the
/// simulation implies, on Fashion-MNIST test images. Models are freshly initialised: speed does
/// not depend on the weights' values.
/// </summary>
public static class AnalogBench
{
    static HardwareConfig Config(int rows, int bitsPerCell, InputMode mode, int adcBits, int weightBits = 8) => new()
    {
        Name = $"{rows} rows, {weightBits / bitsPerCell} slice(s), {(mode == InputMode.Dac ? "DAC" : "bit-serial")}",
        Core = new CoreConfig
        {
            Rows = rows, Columns = rows, Mapping = WeightMapping.Differential, WeightBits = weightBits, BitsPerCell = bitsPerCell,
            InputBits = 8, InputMode = mode, InputSliceBits = 1,
        },
        Adc = new AdcConfig { Bits = adcBits },
    };

    public static HardwareConfig DacOneConversion(int rows) => Config(rows, 8, InputMode.Dac, 16);
    public static HardwareConfig PumaBitSerial => Config(64, 1, InputMode.BitSerial, 7);

    public static List<Measurement> Run(IReadOnlyList<string> models, int batch = 1000)
    {
        var results = new List<Measurement>();
        using var test = DatasetCatalog.Load("fashion-mnist", null, Split.Test);
        var norm = test.ComputeNormalization();
        using var x = norm.Apply(test.Images.narrow(0, 0, batch));
        foreach (var name in models)
        {
            manual_seed(1);
            using var model = new ModelSpec(name, 1, 28, 28, 10).Build();
            model.eval();
            // The stronger float baseline of one call on the whole batch and chunks of 100.
            var flWhole = Harness.Time($"{name} float (one call)", () => Infer(model, x), batch, "images/s");
            var flChunk = Harness.Time($"{name} float (chunks of 100)", () => Infer(model, x, 100), batch, "images/s");
            results.Add(flWhole);
            results.Add(flChunk);
            var fl = flWhole.MedianSeconds < flChunk.MedianSeconds ? flWhole : flChunk;
            int rows = name == "mlp" ? 256 : 64;
            foreach (var cfg in new[] { DacOneConversion(rows), PumaBitSerial })
            {
                AnalogConversion.Convert(model, cfg);
                AnalogConversion.CalibrateInputs(model, x);
                AnalogConversion.Program(model, 0);
                var m = Harness.Time($"{name} analog: {cfg.Name}", () => Infer(model, x), batch, "images/s", warmup: 2, repeats: 5);
                results.Add(m);
                var bare = BareMatmuls(model, x);
                results.Add(bare);
                Console.WriteLine($"  {cfg.Name}: {Harness.Ratio(m, fl, "float")}, {Harness.Ratio(m, bare, "its bare matmuls")}");
                Reset(model);
            }
        }
        return results;
    }

    /// <summary>
    /// ResNet-20 inference on 500 test images in chunks of 100: float against each design, by
    /// default the shared DAC setting (issue 13's goal: at most 1.5x float) and the realistic
    /// current-mode CCO design (read noise, two slices, CCO ADCs); the float run is repeated after
    /// the designs, and each ratio is against the faster of the two.
    /// </summary>
    public static List<Measurement> ResNet20(IReadOnlyList<string> hardwarePaths)
    {
        var results = new List<Measurement>();
        var (x, model) = ResNet20Setup();
        using var images = x;
        using var net = model;
        Measurement Float(string when) => Harness.Time($"resnet20 float (chunks of 100, {when})", () => Infer(model, x, 100), 500, "images/s", warmup: 2, repeats: 7);
        var before = Float("first");
        results.Add(before);
        var designs = new List<(string Name, Measurement M)>();
        foreach (var path in hardwarePaths)
        {
            var hw = HardwareConfig.Load(path);
            var m = TimeOnChip(model, x, hw, $"resnet20 analog: {hw.Name}", repeats: 7);
            results.Add(m);
            designs.Add((hw.Name, m));
            Reset(model);
        }
        var after = Float("last");
        results.Add(after);
        var fl = after.MedianSeconds < before.MedianSeconds ? after : before;
        foreach (var (name, m) in designs) Console.WriteLine($"  {name}: {Harness.Ratio(m, fl, "float")}");
        return results;
    }

    /// <summary>
    /// Where ResNet-20's analog inference time goes on one design (500 images, chunks of 100), by
    /// ablation: the design as it is; without read noise (no variance sums, no draws); and also
    /// with ideal ADCs of the same bits and ranges (no threshold tables). The read-noise draws are
    /// timed alone on buffers of the same count (the layers' stream positions over one run); the
    /// variance sums are the rest of the read noise's cost. What is left (signal sums, subtraction,
    /// shift-and-add, digital layers) is compared with float.
    /// </summary>
    public static List<Measurement> ResNet20Breakdown(string hardwarePath)
    {
        var results = new List<Measurement>();
        var (x, model) = ResNet20Setup();
        using var images = x;
        using var net = model;
        var fl = Harness.Time("resnet20 float", () => Infer(model, x, 100), 500, "images/s", warmup: 2, repeats: 5);
        results.Add(fl);
        var hw = HardwareConfig.Load(hardwarePath);
        var quiet = hw with { Cell = hw.Cell with { ReadNoise = 0 } };
        var idealAdcs = quiet with
        {
            Adc = new AdcConfig { Kind = Converters.IdealArchitecture.Name, Bits = hw.Adc.Bits, Range = hw.Adc.Range },
        };
        var times = new List<Measurement>();
        long draws = 0;
        foreach (var (label, design) in new[] { ("as designed", hw), ("no read noise", quiet),
                     ("no read noise, ideal ADCs", idealAdcs) })
        {
            var m = TimeOnChip(model, x, design, $"resnet20 {hw.Name}: {label}", repeats: 5);
            if (design == hw)
            {
                long Position() => AnalogConversion.Layers(model).Sum(l => l.Chip?.ReadNoise.Position ?? 0);
                long before = Position();
                Infer(model, x, 100);
                draws = Position() - before;
            }
            times.Add(m);
            results.Add(m);
            Reset(model);
        }
        double full = times[0].MedianSeconds, quietS = times[1].MedianSeconds, ideal = times[2].MedianSeconds;
        Console.WriteLine($"  {hw.Name}, 500 images, medians: {full:F2} s = {full / fl.MedianSeconds:F1}x float " +
            $"({fl.MedianSeconds:F2} s)");
        if (draws == 0) Console.WriteLine("    no read noise in this design");
        else
        {
            // The draws alone: the same count through buffers of 4M partial sums (the engine's chunks are that order).
            long buffer = Math.Min(draws, 4L << 20);
            using var p = zeros(buffer);
            using var v = rand(buffer);
            var stream = new ReadNoiseStream(5);
            var drawTime = Harness.Time($"  {draws / 1e6:F0}M read-noise draws alone", () =>
            {
                for (long done = 0; done < draws; done += buffer) stream.AddScaled(p, v);
            }, 500, "images/s", warmup: 1, repeats: 5);
            results.Add(drawTime);
            double noise = full - quietS, drawS = drawTime.MedianSeconds;
            Console.WriteLine($"    read noise {noise:F2} s: draws {drawS:F2} s ({drawS / draws * 1e9:F2} ns each), " +
                $"variance sums and the rest {noise - drawS:F2} s");
        }
        Console.WriteLine($"    threshold ADCs (against ideal ADCs) {quietS - ideal:F2} s");
        Console.WriteLine($"    signal sums, subtraction, shift-and-add, digital layers {ideal:F2} s = " +
            $"{ideal / fl.MedianSeconds:F1}x float");
        return results;
    }

    /// <summary>The ResNet-20 benchmarks' inputs: 500 normalized Fashion-MNIST test images and a seeded ResNet-20 (eval).</summary>
    static (Tensor X, nn.Module<Tensor, Tensor> Model) ResNet20Setup()
    {
        using var test = DatasetCatalog.Load("fashion-mnist", null, Split.Test, limit: 500);
        var x = test.ComputeNormalization().Apply(test.Images.narrow(0, 0, 500));
        manual_seed(1);
        var model = new ModelSpec("resnet20", 1, 28, 28, 10).Build();
        model.eval();
        return (x, model);
    }

    /// <summary>
    /// The model converted to <paramref name="hw"/>, its inputs calibrated on <paramref name="x"/>, chip 0
    /// programmed, and inference on x timed in chunks of 100 (the caller resets the model).
    /// </summary>
    static Measurement TimeOnChip(nn.Module<Tensor, Tensor> model, Tensor x, HardwareConfig hw, string label,
        int repeats)
    {
        AnalogConversion.Convert(model, hw);
        AnalogConversion.CalibrateInputs(model, x);
        AnalogConversion.Program(model, 0);
        return Harness.Time(label, () => Infer(model, x, 100), x.shape[0], "images/s", warmup: 2, repeats: repeats);
    }

    /// <summary>MLP on the full test set in the three settings used to compare with other simulators.</summary>
    public static List<Measurement> MlpSettings()
    {
        var results = new List<Measurement>();
        using var test = DatasetCatalog.Load("fashion-mnist", null, Split.Test);
        var norm = test.ComputeNormalization();
        using var x = norm.Apply(test.Images);
        // The shared settings, as `imc eval --hw` takes them (scripts/memory-check.sh measures their peak memory).
        var settings = new[] { "dac", "slices", "bit-serial" }.Select(s => HardwareConfig.Load($"configs/compare/256-{s}-6b.json")).ToArray();
        manual_seed(1);
        using var model = new ModelSpec("mlp", 1, 28, 28, 10).Build();
        model.eval();
        var fl = Harness.Time("mlp float (10k)", () => Infer(model, x, 1000), 10000, "images/s");
        results.Add(fl);
        foreach (var cfg in settings)
        {
            AnalogConversion.Convert(model, cfg);
            AnalogConversion.CalibrateInputs(model, x.narrow(0, 0, 1000));
            AnalogConversion.Program(model, 0);
            var m = Harness.Time($"mlp {cfg.Name} (10k)", () => Infer(model, x, 1000), 10000, "images/s", warmup: 2, repeats: 7);
            results.Add(m);
            Console.WriteLine($"  {cfg.Name}: {Harness.Ratio(m, fl, "float")}");
            Reset(model);
        }
        return results;
    }

    internal static void Infer(nn.Module<Tensor, Tensor> model, Tensor x, int batch = 0)
    {
        using var g = no_grad();
        if (batch == 0) batch = (int)x.shape[0];
        for (long s = 0; s < x.shape[0]; s += batch)
        {
            using var scope = NewDisposeScope();
            model.call(x.narrow(0, s, Math.Min(batch, x.shape[0] - s)));
        }
    }

    /// <summary>
    /// The arithmetic the analog run cannot avoid: for every analog layer and chunk, one batched
    /// matmul of the shapes the engine used ([T, cycles*B, R] x [T, R, N*S]), on resident data.
    /// </summary>
    static Measurement BareMatmuls(nn.Module<Tensor, Tensor> model, Tensor x)
    {
        var shapes = new List<long[]>();
        foreach (var l in AnalogConversion.Layers(model))
            l.PartialSumProbe = (layer, p) =>
            {
                // p is [T, cycles*B, N*S]; the engine multiplied [T, cycles*B, rows] by [T, rows, N*S].
                long rows = layer.Chip!.Tiles == 1 ? layer.Chip.Inputs : layer.Hardware.Core.Rows;
                shapes.Add(new[] { p.shape[0], p.shape[1], rows, p.shape[2] });
            };
        Infer(model, x);
        foreach (var l in AnalogConversion.Layers(model)) l.PartialSumProbe = null;
        var operands = shapes.Select(s => (rand(s[0], s[1], s[2]).DetachFromDisposeScope(), rand(s[0], s[2], s[3]).DetachFromDisposeScope())).ToList();
        var m = Harness.Time("  bare matmuls of the same shapes", () =>
        {
            foreach (var (a, b) in operands)
            {
                using var scope = NewDisposeScope();
                a.bmm(b);
            }
        }, x.shape[0], "images/s", warmup: 2, repeats: 5);
        foreach (var (a, b) in operands) { a.Dispose(); b.Dispose(); }
        return m;
    }

    /// <summary>Back to a float model: conversion is one-way, so rebuild from the same parameters.</summary>
    internal static void Reset(nn.Module model)
    {
        foreach (var l in AnalogConversion.Layers(model)) l.Execution = Execution.Float;
    }
}
