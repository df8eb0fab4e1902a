using ImcSharp.Config;
using ImcSharp.Data;
using ImcSharp.Evaluation;
using ImcSharp.Models;
using ImcSharp.Nn;
using static TorchSharp.torch;

namespace ImcSharp.Bench;

/// <summary>
/// Monte Carlo in batches of chips: 20 chips (programming and evaluation on 2,000 (--images) Fashion-MNIST
/// test images each) one at a time against batches of chips in one pass, on two realistic
/// designs. The per-chip accuracies are checked equal between batch sizes.
/// </summary>
public static class ChipsBench
{
    public static List<Measurement> Run(IReadOnlyList<string> models, int images = 2000, int chips = 20)
    {
        var results = new List<Measurement>();
        using var test = DatasetCatalog.Load("fashion-mnist", null, Split.Test);
        using var subset = test.Take(images);
        var norm = test.ComputeNormalization();
        foreach (var name in models)
            foreach (var design in new[] { "experiments/hw/current-rram-cco-realistic.json", "experiments/hw/charge-cap-sar-realistic.json" })
            {
                manual_seed(1);
                using var model = new ModelSpec(name, 1, 28, 28, 10).Build();
                var hw = HardwareConfig.Load(design);
                AnalogConversion.Convert(model, hw);
                using (NewDisposeScope()) AnalogConversion.CalibrateInputs(model, norm.Apply(subset.Images.narrow(0, 0, Math.Min(500, images))));
                Measurement? one = null;
                double[]? reference = null;
                foreach (int batch in new[] { 1, 4, 10 })
                {
                    var mc = new MonteCarloOptions { Chips = chips, Corners = 5, Reference = false, ChipBatch = batch };
                    double[] accuracies = [];
                    var m = Harness.Time($"{name} {hw.Name}: {chips} chips, batches of {batch}",
                        () => accuracies = ChipEvaluation.Run(model, subset, norm, mc).PerChip.Select(c => c.Accuracy).ToArray(),
                        (double)chips * images, "chip-images/s", warmup: 1, repeats: 3);
                    results.Add(m);
                    reference ??= accuracies;
                    if (!reference.SequenceEqual(accuracies)) throw new InvalidOperationException($"batches of {batch} changed the chips' accuracies");
                    one ??= m;
                    Console.WriteLine($"  {name} {hw.Name}, batches of {batch}: {Harness.Ratio(m, one, "one chip at a time")}");
                }
            }
        return results;
    }
}
