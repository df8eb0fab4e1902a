using ImcSharp.Config;
using ImcSharp.Data;
using ImcSharp.Models;
using ImcSharp.Nn;
using ImcSharp.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace ImcSharp.Bench;

/// <summary>
/// Cost of peripheral-aware training: 30 training steps (batch 64, Adam) of LeNet-5 in float and
/// on the approx-adc experiment's current-mode design under each chip-sampling mode (every step
/// reprograms the chip, since the weights changed). Epoch cost = steps per epoch x step time.
/// </summary>
public static class AwareBench
{
    const int batch = 64, steps = 30;

    /// <summary>The training images' normalization and the first 30 shuffled batches of 64, kept for every repeat.</summary>
    static (Normalization, List<(Tensor, Tensor)>) Batches(ImageSet train)
    {
        var norm = train.ComputeNormalization();
        return (norm, new BatchLoader(train, norm, batch).Epoch(1, 0, shuffle: true).Take(steps)
            .Select(b => (b.X.DetachFromDisposeScope(), b.Y.DetachFromDisposeScope())).ToList());
    }

    public static List<Measurement> Run(string hardwarePath = "experiments/hw/current-rram-cco.json", string model = "lenet5")
    {
        var results = new List<Measurement>();
        using var train = DatasetCatalog.Load("fashion-mnist", null, Split.Train);
        var (norm, batches) = Batches(train);
        var hw = HardwareConfig.Load(hardwarePath);
        // Larger networks: float against the experiments' fresh-chip mode only. Float is timed first
        // and last, and each ratio is against the faster of the two (a process's first float run
        // ranged 2.5-4.1 ms per LeNet-5 step).
        var modes = model == "lenet5" ? new ChipSampling?[] { null, ChipSampling.Nominal, ChipSampling.FixedChip, ChipSampling.FreshLocal, ChipSampling.FreshChip, null }
            : new ChipSampling?[] { null, ChipSampling.FreshChip, null };
        var floats = new List<Measurement>();
        foreach (var mode in modes)
        {
            manual_seed(1);
            using var net = new ModelSpec(model, 1, 28, 28, 10).Build();
            var aware = mode is { } m ? new AwareOptions { Hardware = hw, Variation = m } : null;
            if (aware is not null)
            {
                ChipSampler.Prepare(net, aware);
                using var scope = NewDisposeScope();
                AnalogConversion.CalibrateInputs(net, norm.Apply(train.Images.narrow(0, 0, 1000)));
            }
            var opt = optim.Adam(net.parameters(), 5e-4);
            net.train();
            int step = 0;
            var r = Harness.Time(aware is null ? $"{model} float training step ({(floats.Count == 0 ? "first" : "last")})" : $"{model} aware step, {ImcSharp.IO.Json.Name(mode!.Value)}", () =>
            {
                foreach (var (x, y) in batches)
                {
                    using var s = NewDisposeScope();
                    if (aware is not null) ChipSampler.ProgramStep(net, aware, 1, 0, step++);
                    opt.zero_grad();
                    nn.functional.cross_entropy(net.call(x), y).backward();
                    opt.step();
                }
            }, steps * batch, "images/s", warmup: 2, repeats: 5);
            results.Add(r);
            if (aware is null) floats.Add(r);
        }
        var baseline = floats.MinBy(f => f.MedianSeconds)!;
        foreach (var r in results)
            Console.WriteLine($"  {r.Name}: {r.MedianSeconds / steps * 1e3:F1} ms/step, epoch of 938 steps ~{r.MedianSeconds / steps * 938:F0} s, {Harness.Ratio(r, baseline, "float")}");
        return results;
    }

    /// <summary>
    /// Where an aware step's time goes (fresh-chip): programming the chip, the hardware forward
    /// without gradients, and the whole step (forward with the surrogate, backward, Adam) on a chip
    /// already programmed; each over the same 30 batches.
    /// </summary>
    public static List<Measurement> Breakdown(string hardwarePath = "experiments/hw/current-rram-cco.json")
    {
        var results = new List<Measurement>();
        using var train = DatasetCatalog.Load("fashion-mnist", null, Split.Train);
        var (norm, batches) = Batches(train);
        var aware = new AwareOptions { Hardware = HardwareConfig.Load(hardwarePath), Variation = ChipSampling.FreshChip };
        manual_seed(1);
        using var model = new ModelSpec("lenet5", 1, 28, 28, 10).Build();
        ChipSampler.Prepare(model, aware);
        using (NewDisposeScope()) AnalogConversion.CalibrateInputs(model, norm.Apply(train.Images.narrow(0, 0, 1000)));
        var opt = optim.Adam(model.parameters(), 5e-4);
        model.train();
        int step = 0;
        results.Add(Harness.Time("program a fresh chip", () =>
        {
            for (int i = 0; i < steps; i++) { using var s = NewDisposeScope(); ChipSampler.ProgramStep(model, aware, 1, 0, step++); }
        }, steps, "chips/s", warmup: 1, repeats: 3));
        results.Add(Harness.Time("hardware forward, no gradient", () =>
        {
            foreach (var (x, _) in batches) { using var s = NewDisposeScope(); using var g = no_grad(); model.call(x); }
        }, steps * batch, "images/s", warmup: 1, repeats: 3));
        results.Add(Harness.Time("forward, backward, Adam (chip kept)", () =>
        {
            foreach (var (x, y) in batches)
            {
                using var s = NewDisposeScope();
                opt.zero_grad();
                nn.functional.cross_entropy(model.call(x), y).backward();
                opt.step();
            }
        }, steps * batch, "images/s", warmup: 1, repeats: 3));
        foreach (var r in results) Console.WriteLine($"  {r.Name}: {r.MedianSeconds / steps * 1e3:F2} ms per step");
        return results;
    }
}

/// <summary>
/// Where an aware step's time goes, layer by layer: each analog layer's hardware forward (no
/// gradient) and its forward with the surrogate plus backward, on the inputs it sees in a LeNet-5
/// step (batch 64, a fresh chip), against the same float layer.
/// </summary>
public static class AwareLayers
{
    public static List<Measurement> Run(string hardwarePath = "experiments/hw/current-rram-cco.json")
    {
        var results = new List<Measurement>();
        using var train = DatasetCatalog.Load("fashion-mnist", null, Split.Train);
        var norm = train.ComputeNormalization();
        var aware = new AwareOptions { Hardware = HardwareConfig.Load(hardwarePath), Variation = ChipSampling.FreshChip };
        manual_seed(1);
        using var model = new ModelSpec("lenet5", 1, 28, 28, 10).Build();
        ChipSampler.Prepare(model, aware);
        using (NewDisposeScope()) AnalogConversion.CalibrateInputs(model, norm.Apply(train.Images.narrow(0, 0, 1000)));
        ChipSampler.ProgramStep(model, aware, 1, 0, 0);
        var inputs = new Dictionary<string, Tensor>();
        var layers = AnalogConversion.Layers(model);
        var hooks = layers.Select(l => l.register_forward_pre_hook((m, x) => { inputs[l.LayerName] = x.detach().clone().DetachFromDisposeScope(); return x; })).ToList();
        using (no_grad()) model.call(norm.Apply(train.Images.narrow(0, 0, 64)));
        foreach (var h in hooks) h.remove();
        const int reps = 50;
        foreach (var l in layers)
        {
            var x = inputs[l.LayerName];
            var xg = x.detach().requires_grad_(true);
            var timed = new Dictionary<(Execution, bool), Measurement>();
            foreach (var exec in new[] { Execution.Float, Execution.Analog })
            {
                l.Execution = exec;
                timed[(exec, false)] = Harness.Time($"{l.LayerName} {exec} forward, no gradient", () =>
                {
                    for (int i = 0; i < reps; i++) { using var s = NewDisposeScope(); using var g = no_grad(); l.call(x); }
                }, reps, "calls/s", warmup: 1, repeats: 3);
                timed[(exec, true)] = Harness.Time($"{l.LayerName} {exec} forward + backward", () =>
                {
                    for (int i = 0; i < reps; i++) { using var s = NewDisposeScope(); l.call(xg).sum().backward(); }
                }, reps, "calls/s", warmup: 1, repeats: 3);
            }
            results.AddRange(timed.Values);
            foreach (bool backward in new[] { false, true })
            {
                var (a, f) = (timed[(Execution.Analog, backward)], timed[(Execution.Float, backward)]);
                Console.WriteLine($"  {l.LayerName} {(backward ? "forward + backward" : "forward")}: {a.MedianSeconds / reps * 1e3:F3} ms, {Harness.Ratio(a, f, "float")}");
            }
        }
        return results;
    }
}
