// ImcSharp as a library on your own TorchSharp network: train it (plain TorchSharp), convert it to
// analog layers on a design, program Monte Carlo chips, evaluate them, and price the design.
// Usage: dotnet run --project examples/OwnModel -c Release -- HARDWARE.json [FASHION_MNIST_DIR]
using ImcSharp.Config;
using ImcSharp.Cost;
using ImcSharp.Data;
using ImcSharp.Evaluation;
using ImcSharp.Nn;
using TorchSharp;
using static TorchSharp.torch;

if (args.Length < 1)
{
    Console.Error.WriteLine("usage: OwnModel HARDWARE.json [FASHION_MNIST_DIR]");
    return 2;
}
var hardware = HardwareConfig.Load(args[0]);
var dataDir = args.Length > 1 ? args[1] : null;

// 1. Data and a network of your own, trained in float with a plain TorchSharp loop.
torch.manual_seed(1);
using var train = DatasetCatalog.Load("fashion-mnist", dataDir, Split.Train).Take(6000);
using var test = DatasetCatalog.Load("fashion-mnist", dataDir, Split.Test).Take(1000);
var norm = train.ComputeNormalization();
var model = new TinyNet();
var optimizer = optim.Adam(model.parameters(), 2e-3);
var loader = new BatchLoader(train, norm, 64);
model.train();
foreach (var (x, y) in loader.Epoch(seed: 1, epoch: 0, shuffle: true))
{
    using var step = NewDisposeScope();
    optimizer.zero_grad();
    nn.functional.cross_entropy(model.call(x), y).backward();
    optimizer.step();
}
model.eval();

// 2. One line converts every Linear/Conv2d to an analog layer on the design (same weights).
AnalogConversion.Convert(model, hardware);
using (NewDisposeScope())
    AnalogConversion.CalibrateInputs(model, norm.Apply(train.Take(500).Images));

// 3. Monte Carlo chips: each programmed from its own seed, evaluated on the test images.
var result = ChipEvaluation.Run(model, test, norm, new MonteCarloOptions { Chips = 3, Corners = 3 });
Console.WriteLine($"float {result.FloatAccuracy:P2}, quantized {result.QuantizedAccuracy:P2}, " +
                  $"chips mean {result.Accuracy.Mean:P2} (min {result.Accuracy.Min:P2}) on {hardware.Name}");

// 4. The price of the design for this network (a fresh instance: only the shapes matter).
var cost = CoreCostModel.Price("tinynet", LayerShapes.Of(() => new TinyNet(), new long[] { 1, 28, 28 }), hardware);
Console.WriteLine($"energy {cost.EnergyPerInferenceJ * 1e9:F2} nJ/inference, area {cost.AreaMm2:F3} mm2, ADC energy share {cost.AdcEnergyShare:P1}");
return result.Accuracy.Mean > 0.5 ? 0 : 1;

/// <summary>A small CNN of the user's own: two convolutions, one classifier.</summary>
sealed class TinyNet : nn.Module<Tensor, Tensor>
{
    readonly nn.Module<Tensor, Tensor> conv1 = nn.Conv2d(1, 8, 5), conv2 = nn.Conv2d(8, 16, 5), fc = nn.Linear(16 * 4 * 4, 10);

    public TinyNet() : base("TinyNet") => RegisterComponents();

    public override Tensor forward(Tensor x)
    {
        x = nn.functional.max_pool2d(nn.functional.relu(conv1.call(x)), 2);
        x = nn.functional.max_pool2d(nn.functional.relu(conv2.call(x)), 2);
        return fc.call(x.flatten(1));
    }
}
