using ImcSharp.Converters;
using ImcSharp.IO;
using ImcSharp.Config;
using ImcSharp.Data;
using ImcSharp.Evaluation;
using ImcSharp.Nn;
using ImcSharp.Training;
using static TorchSharp.torch;

namespace ImcSharp.Tests.Training;

public class AwareTrainingTests
{
    static readonly string Dir = Synthetic.MnistDir(train: 320, test: 100, seed: 3);

    /// <summary>A small CCO-ADC current-mode design (its first layer digital) so the runs stay fast.</summary>
    static HardwareConfig Hardware(double kSigmaGlobal = 0.02) => HardwareConfig.Parse($$"""
        {
          "name": "test-cco",
          "core": { "rows": 64, "columns": 64, "weight_bits": 4, "bits_per_cell": 2, "input_bits": 4, "input_mode": "dac" },
          "cell": { "kind": "rram", "programming_sigma": 0.01 },
          "adc": { "kind": "cco", "bits": 6, "bias": "mid-scale", "range": { "mode": "calibrated", "percentile": 99.9 },
                   "oscillator": { "f_max": 3e8, "k_sigma_global": {{kSigmaGlobal}}, "k_sigma_local": 0.01 } },
          "keep_first_digital": true
        }
        """);

    static string FloatCheckpoint()
    {
        var dir = Synthetic.TempDir();
        using var train = DatasetCatalog.Load("mnist", Dir, Split.Train);
        using var test = DatasetCatalog.Load("mnist", Dir, Split.Test);
        return Trainer.Train(new TrainOptions { Model = "lenet5", Dataset = "mnist", Epochs = 2, BatchSize = 32, Seed = 5 }, train, test, dir).CheckpointPath;
    }

    static readonly Lazy<string> Float = new(FloatCheckpoint);

    static TrainResult Aware(string outDir, ChipSampling sampling, bool resume = false, ProgressSink? progress = null, CancellationToken cancel = default)
    {
        using var train = DatasetCatalog.Load("mnist", Dir, Split.Train);
        using var test = DatasetCatalog.Load("mnist", Dir, Split.Test);
        var o = new TrainOptions { Model = "lenet5", Dataset = "mnist", Epochs = 2, BatchSize = 32, Seed = 9, LearningRate = 1e-3 };
        var a = new AwareOptions { Hardware = Hardware(), Variation = sampling, Init = Float.Value, CalibrationImages = 64 };
        return Trainer.Train(o, train, test, outDir, resume, progress, cancel, a);
    }

    static float[] Weights(string ckpt)
    {
        var (_, model) = Checkpoint.Load(ckpt);
        using (model) return model.parameters().SelectMany(p => p.data<float>().ToArray()).ToArray();
    }

    [Trait("Category", "Slow")]

    [Fact]
    public void FreshChipTrainingIsReproducibleResumableAndStoresItsCalibration()
    {
        var a = Aware(Synthetic.TempDir(), ChipSampling.FreshChip);
        Assert.EndsWith("lenet5-aware.ckpt", a.CheckpointPath);
        var outDir = Synthetic.TempDir();
        using var cts = new CancellationTokenSource();
        Assert.Throws<OperationCanceledException>(() => Aware(outDir, ChipSampling.FreshChip, progress: u => { if (u.Phase.StartsWith("test 1")) cts.Cancel(); }, cancel: cts.Token));
        var resumed = Aware(outDir, ChipSampling.FreshChip, resume: true);
        Assert.True(resumed.Resumed);
        Assert.Equal(Weights(a.CheckpointPath), Weights(resumed.CheckpointPath));
        var info = Checkpoint.ReadInfo(a.CheckpointPath);
        Assert.NotNull(info.Aware);
        Assert.Equal(ChipSampling.FreshChip, info.Aware!.Variation);
        // Calibrated layers: conv2, fc1..fc3 (conv1 is digital), each with a calibrated ADC range per slice.
        Assert.Equal(4, info.Calibration!.Count);
        Assert.All(info.Calibration.Values, c => Assert.True(c.AdcRanges is { Count: > 0 } r && r.All(s => s.Lsb > 0) && c.AdcRangeKey is not null));
        // Another sampling mode is another run: the weights differ.
        Assert.NotEqual(Weights(a.CheckpointPath), Weights(Aware(Synthetic.TempDir(), ChipSampling.FixedChip).CheckpointPath));
    }

    [Fact]
    public void VariationLevelsRemoveWhatTheySay()
    {
        var hw = Hardware().For("fc1");
        var local = hw.With(VariationLevels.LocalOnly);
        Assert.Equal(0, local.Adc.Params<OscillatorParams>().KSigmaGlobal);
        Assert.Equal(hw.Adc.Params<OscillatorParams>().KSigmaLocal, local.Adc.Params<OscillatorParams>().KSigmaLocal);
        Assert.Equal(hw.Cell.ProgrammingSigma, local.Cell.ProgrammingSigma);
        var nominal = hw.With(VariationLevels.Nominal);
        Assert.Equal(0, nominal.Adc.Params<OscillatorParams>().KSigmaLocal);
        Assert.Equal(0, nominal.Cell.ProgrammingSigma);
        Assert.Equal(hw.Adc.Params<OscillatorParams>().FMax, nominal.Adc.Params<OscillatorParams>().FMax);      // the nominal curve keeps its shape
    }

    [Fact]
    public void AnOscillatorAdcStaysMatchedAtOtherResolutions()
    {
        using var scope = TorchSharp.torch.NewDisposeScope();
        var cco7 = new AdcConfig { Kind = "cco", Bits = 7 }.With(new OscillatorParams { FMax = 1e12, F0SigmaLocal = 0, KSigmaLocal = 0, F0SigmaGlobal = 0, KSigmaGlobal = 0 });
        var cco4 = cco7.WithBits(4);
        Assert.Equal(1e-6 * 15 / 127, cco4.Params<OscillatorParams>().Window, 12);
        using var g = new Generator(1);
        using var l = new Generator(2);
        // A near-linear matched 4-bit CCO has near-ideal thresholds k - 1/2 in its own LSBs.
        var t = ImcSharp.Converters.AdcArchitecture.Thresholds(cco4, 1, g, l);
        Assert.True(TorchSharp.torch.allclose(t, ImcSharp.Converters.AdcModels.Ideal(4).unsqueeze(0), 1e-3, 1e-3));
    }

    [Fact]
    public void ATrainingSetupIsTheSameWhateverTheDesignIsCalledOrCosts()
    {
        var a = new AwareOptions { Hardware = Hardware() };
        var renamed = a with { Hardware = a.Hardware with { Name = "other", Description = "a copy", Cost = new CostConfig { NodeNm = 7 } } };
        Assert.True(a.SameAs(renamed));
        Assert.False(a.SameAs(a with { Hardware = a.Hardware with { Adc = a.Hardware.Adc with { Bits = 5 } } }));
        Assert.False(a.SameAs(a with { Variation = ChipSampling.FixedChip }));
    }

    [Fact]
    public void MonteCarloStreamsChipsByCornerAndResumesFromItsResultsFile()
    {
        var (info, model) = Checkpoint.Load(Float.Value);
        using (model)
        {
            using var train = DatasetCatalog.Load("mnist", Dir, Split.Train);
            using var test = DatasetCatalog.Load("mnist", Dir, Split.Test);
            AnalogConversion.Convert(model, Hardware(kSigmaGlobal: 0.05));
            AnalogConversion.CalibrateInputs(model, info.Normalization.Apply(train.Take(64).Images));
            var file = Path.Combine(Synthetic.TempDir(), "chips.jsonl");
            var mc = new MonteCarloOptions { Chips = 4, Corners = 2, ResultsPath = file, Key = RunKey.Of(("design", "a")), Reference = false };
            var first = ChipEvaluation.Run(model, test, info.Normalization, mc);
            Assert.Equal(new[] { 0, 1, 0, 1 }, first.PerChip.Select(c => c.Corner));
            Assert.Equal(2, first.Corners.Count);
            Assert.Equal(first.Corners.Min(c => c.Mean), first.WorstCorner);
            Assert.Equal(5, File.ReadAllLines(file).Length);                     // setup + 4 chips
            // Kill mid-write: a torn last line is dropped and the chip is evaluated again.
            File.AppendAllText(file, "{\"chip\": 4, \"corn");
            var more = ChipEvaluation.Run(model, test, info.Normalization, mc with { Chips = 6 });
            Assert.Equal(7, File.ReadAllLines(file).Length);
            Assert.Equal(first.PerChip, more.PerChip.Take(4));
            // Chips are the same chips when evaluated again from scratch.
            var again = ChipEvaluation.Run(model, test, info.Normalization, mc with { Chips = 6, ResultsPath = null });
            Assert.Equal(more.PerChip.Select(c => c.Accuracy), again.PerChip.Select(c => c.Accuracy));
            // In batches of 4 chips (a batch and a remainder): the same chips.
            var batched = ChipEvaluation.Run(model, test, info.Normalization, mc with { Chips = 6, ResultsPath = null, ChipBatch = 4 });
            Assert.Equal(again.PerChip, batched.PerChip);
            var err = Assert.Throws<ImcInputException>(() => ChipEvaluation.Run(model, test, info.Normalization, mc with { Key = RunKey.Of(("design", "b")) }));
            Assert.Contains("another setup (design: a -> b)", err.Message);
            // Another test set under the same file is refused too, naming the test set.
            using var fewer = test.Take(test.Count - 1);
            err = Assert.Throws<ImcInputException>(() => ChipEvaluation.Run(model, fewer, info.Normalization, mc));
            Assert.Contains("test_set:", err.Message);
        }
    }

    [Fact]
    public void EveryNamedCornerIsValidatedAndTheWorstIsTheEpochsScore()
    {
        using var train = DatasetCatalog.Load("mnist", Dir, Split.Train);
        using var test = DatasetCatalog.Load("mnist", Dir, Split.Test);
        // Digital subtraction, a CCO per bit line, three named corners; one of them far off (-30% gain).
        var hw = HardwareConfig.Parse("""
            {
              "core": { "rows": 64, "columns": 64, "weight_bits": 4, "bits_per_cell": 2, "input_bits": 4, "input_mode": "dac", "subtract": "digital" },
              "adc": { "kind": "cco", "bits": 6, "range": { "mode": "calibrated", "method": "mse" }, "oscillator": { "f_max": 3e8 },
                       "corners": [ { "name": "typ" }, { "name": "fast", "gain": 0.05 }, { "name": "broken", "gain": -0.3, "offset": -3 } ] },
              "keep_first_digital": true
            }
            """);
        var o = new TrainOptions { Model = "lenet5", Dataset = "mnist", Epochs = 1, BatchSize = 32, Seed = 9, LearningRate = 1e-3 };
        var a = new AwareOptions { Hardware = hw, Variation = ChipSampling.FreshChip, Init = Float.Value, CalibrationImages = 64 };
        var r = Trainer.Train(o, train, test, Synthetic.TempDir(), aware: a);
        var epoch = Assert.Single(r.Info.History);
        Assert.Equal(new[] { "broken", "fast", "typ" }, epoch.CornerAccuracy!.Keys.Order().ToArray());
        Assert.Equal(epoch.CornerAccuracy.Values.Min(), epoch.TestAccuracy);
        Assert.Equal(epoch.CornerAccuracy.MinBy(kv => kv.Value).Key, epoch.WorstCorner);
    }
}
