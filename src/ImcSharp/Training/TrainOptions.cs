namespace ImcSharp.Training;

public enum OptimizerKind { Sgd, Adam }
public enum ScheduleKind { Constant, Cosine, Step }

/// <summary>Everything that decides a float training run. Same options + same seed = same weights.</summary>
public sealed record TrainOptions
{
    public string Model { get; init; } = "lenet5";
    /// <summary>Device to train on ("cpu", "cuda", "cuda:N"); not part of what a checkpoint was trained with.</summary>
    [System.Text.Json.Serialization.JsonIgnore] public string Device { get; init; } = "cpu";
    public string Dataset { get; init; } = "fashion-mnist";
    public int Epochs { get; init; } = 3;
    public int BatchSize { get; init; } = 64;
    public OptimizerKind Optimizer { get; init; } = OptimizerKind.Adam;
    /// <summary>Peak learning rate; null takes the optimizer's default (Adam 2e-3, SGD 0.05).</summary>
    public double? LearningRate { get; init; }
    public double Momentum { get; init; } = 0.9;
    public double WeightDecay { get; init; } = 0.0;
    public ScheduleKind Schedule { get; init; } = ScheduleKind.Cosine;
    /// <summary>Step schedule: multiply the rate by <see cref="StepGamma"/> every this many epochs.</summary>
    public int StepEpochs { get; init; } = 30;
    public double StepGamma { get; init; } = 0.1;
    public long Seed { get; init; } = 1;
    /// <summary>Light augmentation (random crop + flip); meant for CIFAR-10.</summary>
    public bool Augment { get; init; }
    /// <summary>Use only the first N training / test samples (0 = all): for quick checks and tests.</summary>
    public int TrainLimit { get; init; }
    public int TestLimit { get; init; }

    public double PeakLearningRate => LearningRate ?? (Optimizer == OptimizerKind.Adam ? 2e-3 : 0.05);

    public void Validate()
    {
        if (Epochs < 1) throw new ImcInputException("epochs", Epochs, "expected an integer >= 1");
        if (BatchSize < 1) throw new ImcInputException("batch_size", BatchSize, "expected an integer >= 1");
        if (PeakLearningRate <= 0 || double.IsNaN(PeakLearningRate)) throw new ImcInputException("learning_rate",
            PeakLearningRate, "expected a positive number");
        if (Momentum < 0 || Momentum >= 1) throw new ImcInputException("momentum", Momentum,
            "expected 0 <= momentum < 1");
        if (WeightDecay < 0) throw new ImcInputException("weight_decay", WeightDecay, "expected >= 0");
        if (StepEpochs < 1) throw new ImcInputException("step_epochs", StepEpochs, "expected >= 1");
        if (TrainLimit < 0) throw new ImcInputException("train_limit", TrainLimit,
            "expected an integer >= 0 (0 = all)");
        if (TestLimit < 0) throw new ImcInputException("test_limit", TestLimit, "expected an integer >= 0 (0 = all)");
    }

    /// <summary>Learning rate at fractional epoch <paramref name="epochProgress"/> (0 .. Epochs).</summary>
    public double LearningRateAt(double epochProgress) => Schedule switch
    {
        ScheduleKind.Constant => PeakLearningRate,
        // Cosine annealing to zero over the whole run (Loshchilov & Hutter 2017, no restarts).
        ScheduleKind.Cosine => 0.5 * PeakLearningRate
            * (1 + Math.Cos(Math.PI * Math.Clamp(epochProgress / Epochs, 0, 1))),
        ScheduleKind.Step => PeakLearningRate * Math.Pow(StepGamma, Math.Floor(epochProgress / StepEpochs)),
        _ => throw new InvalidOperationException(),
    };
}
