using System.Diagnostics;
using ImcSharp.Data;
using ImcSharp.IO;
using ImcSharp.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace ImcSharp.Training;

public sealed record TrainResult(string CheckpointPath, CheckpointInfo Info, double Seconds, double ImagesPerSecond,
    bool Resumed);

/// <summary>
/// Seeded float training with a checkpoint after every epoch. The shuffle of epoch e depends only
/// on (seed, e), and the optimizer state is checkpointed, so a resumed run continues exactly.
/// </summary>
public static class Trainer
{
    /// <summary>
    /// Steps between progress saves inside an epoch: an interrupted aware epoch (~35 s per 1,000 steps on LeNet-5)
    /// loses seconds, not the epoch.
    /// </summary>
    public const int DefaultSaveEverySteps = 200;

    public static string CheckpointPath(string outDir, TrainOptions o, AwareOptions? aware = null) =>
        Path.Combine(outDir, $"{ModelSpec.Canonical(o.Model)}{(aware is null ? "" : "-aware")}.ckpt");

    public static optim.Optimizer MakeOptimizer(nn.Module model, TrainOptions o) => o.Optimizer switch
    {
        OptimizerKind.Adam => optim.Adam(model.parameters(), o.PeakLearningRate, weight_decay: o.WeightDecay),
        OptimizerKind.Sgd =>
            optim.SGD(model.parameters(), o.PeakLearningRate, momentum: o.Momentum, weight_decay: o.WeightDecay,
            nesterov: o.Momentum > 0),
        _ => throw new InvalidOperationException(),
    };

    /// <summary>
    /// Trains <paramref name="o"/>; with <paramref name="aware"/>, peripheral-aware: the model
    /// (fresh, or the float checkpoint <see cref="AwareOptions.Init"/>) is converted to the
    /// hardware, calibrated once on training images, and every step runs forward on a chip
    /// sampled by <see cref="ChipSampler"/>. Its per-epoch test score is on a held-out chip.
    /// </summary>
    public static TrainResult Train(TrainOptions o, ImageSet train, ImageSet test, string outDir, bool resume = false,
        ProgressSink? progress = null,
        CancellationToken cancel = default, AwareOptions? aware = null, int saveEverySteps = DefaultSaveEverySteps)
    {
        o.Validate();
        aware?.Validate();
        if (test.Channels != train.Channels || test.Height != train.Height || test.Width != train.Width)
            throw new ImcInputException(
                $"{test.Name}: test images are {test.Channels}x{test.Height}x{test.Width} but the training images " +
                $"are {train.Channels}x{train.Height}x{train.Width}: expected one size");
        var ckptPath = CheckpointPath(outDir, o, aware);
        var device = ComputeTarget.Parse(o.Device);
        using var runLock = RunLock.Directory(outDir);
        nn.Module<Tensor, Tensor> model;
        optim.Optimizer? optimizer = null;
        CheckpointInfo info;
        bool resumed = false;

        // What the weights depend on besides the options: the training images and the network fine-tuned from.
        var key = RunKey.Of(("train_set", $"{train.Count} images {train.Fingerprint()}"),
            ("init", aware?.Init is { } from ? RunKey.HashFile(from) : "none"));
        if (resume && File.Exists(ckptPath))
        {
            var stored = Checkpoint.ReadInfo(ckptPath);
            key.Check(stored.Key, ckptPath, "was trained in");
            if (stored.Options with { Epochs = o.Epochs } != o with { Epochs = o.Epochs }
                || (stored.Aware is null) != (aware is null) || (aware is not null && !aware.SameAs(stored.Aware!)))
                throw new ImcInputException(
                    $"{ckptPath}: resuming with other options than the checkpoint was trained with (only the number " +
                    "of epochs may change)");
            (info, model) = Checkpoint.Load(ckptPath, m => MakeOptimizer(m, o), opt => optimizer = opt, device);
            info = info with { Options = o };
            if (aware is not null)
            {
                ChipSampler.Prepare(model, aware);
                if (info.Calibration is { } c) Nn.AnalogConversion.Apply(model, c);
            }
            resumed = true;
        }
        else
        {
            torch.manual_seed(o.Seed);
            var spec = new ModelSpec(ModelSpec.Canonical(o.Model), train.Channels, train.Height, train.Width,
                train.Classes);
            var normalization = train.ComputeNormalization();
            if (aware?.Init is { } init)
            {
                CheckpointInfo initInfo;
                (initInfo, model) = Checkpoint.Load(init);
                // An imported ONNX network brings its graph: the data must fit it, the rest of the spec is the
                // checkpoint's.
                if (spec.Name == ModelSpec.OnnxName && initInfo.Spec.Name == ModelSpec.OnnxName) spec =
                    spec with { Onnx = initInfo.Spec.Onnx };
                if (initInfo.Spec != spec)
                {
                    model.Dispose();
                    throw new ImcInputException(
                        $"{init}: checkpoint holds {initInfo.Spec.Name} " +
                        $"for {initInfo.Spec.InChannels}x{initInfo.Spec.Height}x{initInfo.Spec.Width} " +
                        $"inputs, {initInfo.Spec.Classes} classes; this run trains {spec.Name} " +
                        $"for {spec.InChannels}x{spec.Height}x{spec.Width}, {spec.Classes} classes");
                }
                normalization = initInfo.Normalization;
            }
            else model = spec.Build();
            if (device.type != DeviceType.CPU) model.to(device);
            Dictionary<string, Nn.LayerCalibration>? calibration = null;
            if (aware is not null)
            {
                ChipSampler.Prepare(model, aware);
                using var calib = train.Take(Math.Min(aware.CalibrationImages, train.Count));
                using (NewDisposeScope())
                    Nn.AnalogConversion.CalibrateInputs(model, normalization.Apply(calib.Images));
                calibration = Nn.AnalogConversion.Calibrations(model);
            }
            optimizer = MakeOptimizer(model, o);
            info = new CheckpointInfo(spec, normalization, o, 0, 0, new List<EpochRecord>(), aware, calibration,
                Key: key.Parts);
        }

        // Corner sampling weighted to the worst corner starts from the corner the network begins worst on.
        if (aware?.Corners == CornerSampling.Worst && info.Start is null && info.History.Count == 0)
        {
            model.eval();
            var scores = ScoreCorners(model, aware, test, info.Normalization, progress, "before training");
            info = info with { Start = new EpochRecord(0, double.NaN, double.NaN, scores.Values.Min(), 0, scores,
                scores.MinBy(kv => kv.Value).Key) };
        }
        var loader = new BatchLoader(train, info.Normalization, o.BatchSize);
        var augment = o.Augment ? new Augmentation() : null;
        var total = Stopwatch.StartNew();
        long imagesSeen = 0;
        double trainSeconds = 0;
        using (model)
        {
            for (int epoch = info.EpochsDone; epoch < o.Epochs; epoch++)
            {
                var sw = Stopwatch.StartNew();
                model.train();
                var partial = info.Partial is { } p && p.Epoch == epoch ? p : null;
                double lossSum = partial?.LossSum ?? 0, priorSeconds = partial?.Seconds ?? 0;
                long seen = partial?.Seen ?? 0, correct = partial?.Correct ?? 0;
                int step = 0, skip = partial?.Steps ?? 0;
                // Corner sampling weighted to the worst corner: the one the last finished epoch scored worst.
                int? worst = aware is null ? null
                    : ChipSampler.WorstCorner(aware, info.History.LastOrDefault() ?? info.Start);
                void SaveProgress()
                {
                    info = info with { Partial = new EpochProgress(epoch, step, lossSum, correct, seen,
                        priorSeconds + sw.Elapsed.TotalSeconds) };
                    Checkpoint.Save(ckptPath, info, model, optimizer);
                }
                foreach (var (images,
                    labels) in BatchLoader.Scoped(loader.Epoch(o.Seed, epoch, shuffle: true, augment)))
                {
                    // Batches trained before an interruption: drawn (the shuffle and augmentation stay in step) but not
                    // trained again.
                    if (step < skip) { step++; continue; }
                    using var scope = NewDisposeScope();
                    var (x, y) = (ComputeTarget.On(images, device), ComputeTarget.On(labels, device));
                    if (cancel.IsCancellationRequested)
                    {
                        // Ctrl+C keeps every finished step: --resume goes on from here.
                        if (step > skip) SaveProgress();
                        cancel.ThrowIfCancellationRequested();
                    }
                    SetLearningRate(optimizer!, o.LearningRateAt(epoch + (double)step / loader.BatchCount));
                    if (aware is not null) ChipSampler.ProgramStep(model, aware, o.Seed, epoch, step, worst);
                    optimizer!.zero_grad();
                    var logits = model.call(x);
                    var loss = nn.functional.cross_entropy(logits, y);
                    loss.backward();
                    optimizer.step();
                    long b = y.size(0);
                    var lossValue = loss.item<float>();
                    // A NaN or infinite loss poisons every weight it touches: stop with the step that produced it.
                    if (!float.IsFinite(lossValue))
                        throw new ImcInputException(
                            $"training diverged: the loss is {lossValue} at epoch {epoch + 1}, step {step + 1}; the " +
                            $"last good state is in {ckptPath} (try a lower learning rate)");
                    lossSum += lossValue * b;
                    correct += logits.argmax(1).eq(y).sum().item<long>();
                    seen += b;
                    step++;
                    NativeRuntime.CollectFinalizable();
                    progress?.Invoke(new ProgressUpdate($"epoch {epoch + 1}/{o.Epochs}", step, loader.BatchCount,
                        lossSum / seen, (double)correct / seen));
                    if (saveEverySteps > 0 && step % saveEverySteps == 0 && step < loader.BatchCount) SaveProgress();
                }
                trainSeconds += sw.Elapsed.TotalSeconds;
                imagesSeen += seen;
                double testAccuracy;
                Dictionary<string, double>? perCorner = null;
                if (aware is null) testAccuracy =
                    Evaluator.Evaluate(model, test, info.Normalization, progress: progress,
                    phase: $"test {epoch + 1}/{o.Epochs}").Accuracy;
                else
                {
                    // Every corner the design names is scored; the worst one is the epoch's test accuracy.
                    var scores = ScoreCorners(model, aware, test, info.Normalization, progress,
                        $"test {epoch + 1}/{o.Epochs}");
                    testAccuracy = scores.Values.Min();
                    if (scores.Count > 1) perCorner = scores;
                }
                info.History.Add(new EpochRecord(epoch + 1, lossSum / Math.Max(1, seen),
                    (double)correct / Math.Max(1, seen), testAccuracy, priorSeconds + sw.Elapsed.TotalSeconds,
                    perCorner, perCorner?.MinBy(kv => kv.Value).Key));
                info = info with { EpochsDone = epoch + 1, TestAccuracy = testAccuracy, Partial = null };
                Checkpoint.Save(ckptPath, info, model, optimizer);
            }
        }
        return new TrainResult(ckptPath, info, total.Elapsed.TotalSeconds, trainSeconds > 0 ? imagesSeen / trainSeconds
            : 0, resumed);
    }

    /// <summary>
    /// Test accuracy on the held-out chip in every corner the design names (one entry, keyed "", without named
    /// corners).
    /// </summary>
    static Dictionary<string, double> ScoreCorners(nn.Module<Tensor, Tensor> model, AwareOptions aware,
        ImageSet test, Normalization normalization, ProgressSink? progress, string phase) =>
        ChipSampler.ValidationCorners(model, aware).Select(c => (Corner: c ?? "",
            Accuracy: Evaluator.Evaluate(model, test, normalization, progress: progress,
                phase: $"{phase}{(c is null ? "" : $" {c}")}").Accuracy)).ToDictionary(x => x.Corner, x => x.Accuracy);

    static void SetLearningRate(optim.Optimizer optimizer, double lr)
    {
        foreach (var group in optimizer.ParamGroups) group.LearningRate = lr;
    }
}
