using ImcSharp.Data;
using ImcSharp.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace ImcSharp.Bench;

/// <summary>
/// Float (ideal digital) baselines on Fashion-MNIST: training throughput (forward, backward and
/// Adam step on batches of 64) and inference throughput (batch of 1,000 test images).
/// </summary>
public static class FloatBaseline
{
    public static List<Measurement> Run(IReadOnlyList<string> models)
    {
        var results = new List<Measurement>();
        using var test = DatasetCatalog.Load("fashion-mnist", null, Split.Test);
        var norm = test.ComputeNormalization();
        foreach (var name in models)
        {
            torch.manual_seed(1);
            using var model = new ModelSpec(name, 1, 28, 28, 10).Build();
            var opt = optim.Adam(model.parameters(), 1e-3);
            const int batch = 64, steps = 50;
            var batches = new BatchLoader(test, norm, batch).Epoch(1, 0, shuffle: true).Take(steps)
                .Select(b => (b.X.DetachFromDisposeScope(), b.Y.DetachFromDisposeScope())).ToList();
            model.train();
            results.Add(Harness.Time($"train {name} (batch {batch}, Adam)", () =>
            {
                foreach (var (x, y) in batches)
                {
                    using var scope = NewDisposeScope();
                    opt.zero_grad();
                    nn.functional.cross_entropy(model.call(x), y).backward();
                    opt.step();
                }
            }, steps * batch, "images/s", warmup: 1, repeats: 5));

            model.eval();
            using var x1000 = norm.Apply(test.Images.narrow(0, 0, 1000));
            results.Add(Harness.Time($"infer {name} (batch 1000)", () =>
            {
                using var scope = NewDisposeScope();
                using var g = no_grad();
                model.call(x1000);
            }, 1000, "images/s"));
        }
        return results;
    }
}
