using System.ComponentModel;
using ImcSharp.Data;
using ImcSharp.Training;
using Spectre.Console;
using Spectre.Console.Cli;

namespace ImcSharp.Cli.Commands;

public sealed class TrainSettings : DataSettings
{
    /// <summary>
    /// Inputs --hw and --init; outputs --json and the checkpoint it writes into --out (its own resume point, so no
    /// input of its own).
    /// </summary>
    public override IEnumerable<FileUse?> Files()
    {
        foreach (var f in base.Files()) yield return f;
        yield return FileUse.In(Hardware, "--hw");
        yield return FileUse.In(Init, "--init");
        string? model = null;
        // an unreadable --init is reported when the run loads it
        try { model = ToOptions().Model; } catch (ImcInputException) { }
        if (model is not null)
            yield return FileUse.Out(Trainer.CheckpointPath(Out, new TrainOptions { Model = model }, Hardware is null
                ? null : new AwareOptions()), "--out (checkpoint)");
    }

    [CommandOption("--model <NAME>")]
    [Description("mlp, lenet5 (default), vgg8, resnet20, lstm, gru or vit; with --init, the checkpoint's network (an " +
        "imported one: onnx).")]
    public string? Model { get; init; }

    [CommandOption("--epochs <N>")]
    [DefaultValue(3)]
    public int Epochs { get; init; } = 3;

    [CommandOption("--batch-size <N>")]
    [DefaultValue(64)]
    public int BatchSize { get; init; } = 64;

    [CommandOption("--optimizer <NAME>")]
    [Description("adam (default) or sgd (with Nesterov momentum).")]
    [DefaultValue("adam")]
    public string Optimizer { get; init; } = "adam";

    [CommandOption("--lr <RATE>")]
    [Description("Peak learning rate (default: Adam 0.002, SGD 0.05).")]
    public double? LearningRate { get; init; }

    [CommandOption("--momentum <M>")]
    [DefaultValue(0.9)]
    public double Momentum { get; init; } = 0.9;

    [CommandOption("--weight-decay <W>")]
    [DefaultValue(0.0)]
    public double WeightDecay { get; init; }

    [CommandOption("--schedule <NAME>")]
    [Description("cosine (default), step or constant.")]
    [DefaultValue("cosine")]
    public string Schedule { get; init; } = "cosine";

    [CommandOption("--step-epochs <N>")]
    [Description("Step schedule: decay every N epochs.")]
    [DefaultValue(30)]
    public int StepEpochs { get; init; } = 30;

    [CommandOption("--seed <N>")]
    [DefaultValue(1L)]
    public long Seed { get; init; } = 1;

    [CommandOption("--augment")]
    [Description("Random crop and horizontal flip (for CIFAR-10).")]
    public bool Augment { get; init; }

    [CommandOption("--train-limit <N>")]
    [Description("Train on the first N images only (0 = all).")]
    [DefaultValue(0)]
    public int TrainLimit { get; init; }

    [CommandOption("--out <DIR>")]
    [Description("Directory for the checkpoint (<model>.ckpt).")]
    [DefaultValue("runs/train")]
    public string Out { get; init; } = "runs/train";

    [CommandOption("--resume")]
    [Description("Continue from the checkpoint in --out if there is one.")]
    public bool Resume { get; init; }

    [CommandOption("--hw <CONFIG>")]
    [Description("Peripheral-aware training: run every step's forward pass on chips of this hardware config " +
        "(checkpoint <model>-aware.ckpt).")]
    public string? Hardware { get; init; }

    [CommandOption("--init <CKPT>")]
    [Description("With --hw: fine-tune this float checkpoint (default: train from scratch).")]
    public string? Init { get; init; }

    [CommandOption("--variation <MODE>")]
    [Description("With --hw: nominal, fixed-chip, fresh-local, fresh-chip (default) or chip-specific.")]
    [DefaultValue("fresh-chip")]
    public string Variation { get; init; } = "fresh-chip";

    [CommandOption("--corner-sampling <MODE>")]
    [Description("With --variation fresh-chip on a design whose ADCs name corners: the named corner of each step's " +
        "chip: drawn (default; the chip's own), round-robin (step s on corner s mod G) or worst (every other step " +
        "on the corner the last epoch's test scored worst, first the one the network begins worst on; the rest " +
        "round-robin).")]
    [DefaultValue("drawn")]
    public string CornerSampling { get; init; } = "drawn";

    [CommandOption("--ste <MODE>")]
    [Description("With --hw: ADC straight-through estimator: identity (default; 0 outside the range) or mean-slope.")]
    [DefaultValue("identity")]
    public string Ste { get; init; } = "identity";

    [CommandOption("--train-chip <N>")]
    [Description("With --variation fixed-chip or chip-specific: the chip.")]
    [DefaultValue(0L)]
    public long TrainChip { get; init; }

    [CommandOption("--train-corner <N>")]
    [Description("With fixed-chip or chip-specific: the chip's global corner (population files: corner index).")]
    public int? TrainCorner { get; init; }

    [CommandOption("--image-size <CxHxW>")]
    [Description("With --dataset imagefolder: the input images are resized to (default 3x32x32; 1 channel = " +
        "grayscale).")]
    public string? ImageSize { get; init; }

    /// <summary>The parsed --image-size, or null.</summary>
    public (int, int, int)? ImageShape()
    {
        if (ImageSize is null) return null;
        var p = ImageSize.ToLowerInvariant().Split('x');
        if (p.Length == 3 && int.TryParse(p[0], out var c) && int.TryParse(p[1], out var h)
            && int.TryParse(p[2], out var w) && c is 1 or 3 && h > 0 && w > 0)
            return (c, h, w);
        throw new ImcInputException($"--image-size '{ImageSize}': expected CxHxW with C = 1 or 3, e.g. 3x32x32");
    }

    [CommandOption("--calibration-images <N>")]
    [Description("With --hw: training images that set each layer's input (and calibrated ADC) range.")]
    [DefaultValue(1000)]
    public int CalibrationImages { get; init; } = 1000;

    [CommandOption("--time <T>")]
    [Description("With --hw: train on chips read this long after programming (cell aging: drift, retention, read " +
        "noise), e.g. 1y; sets cell.read_time.")]
    public string? Time { get; init; }

    /// <summary>The design of --hw, read at --time when given.</summary>
    Config.HardwareConfig AwareHardware()
    {
        var config = Config.HardwareConfig.Load(Hardware!);
        if (Time is null) return config;
        var times = Evaluation.ReadTimes.Parse(Time);
        if (times.Count != 1)
            throw new ImcInputException("--time", Time, "expected one time to train at, e.g. 1y");
        return config with { Cell = config.Cell with { ReadTime = times[0].Seconds } };
    }

    public AwareOptions? ToAware() => Hardware is null ? null : new AwareOptions
    {
        Hardware = AwareHardware(),
        Variation = Parse<ChipSampling>("--variation", Variation),
        Corners = Parse<Training.CornerSampling>("--corner-sampling", CornerSampling),
        Gradient = Parse<Converters.AdcGradient>("--ste", Ste),
        Chip = TrainChip,
        Corner = TrainCorner,
        Init = Init,
        CalibrationImages = CalibrationImages,
    };

    public TrainOptions ToOptions() => new()
    {
        Model = Models.ModelSpec.Canonical(Model
            ?? (Init is not null && File.Exists(Init) ? Checkpoint.ReadInfo(Init).Spec.Name : "lenet5")),
        Dataset = DatasetCatalog.Canonical(Dataset),
        Epochs = Epochs,
        BatchSize = BatchSize,
        Optimizer = Parse<OptimizerKind>("--optimizer", Optimizer),
        LearningRate = LearningRate,
        Momentum = Momentum,
        WeightDecay = WeightDecay,
        Schedule = Parse<ScheduleKind>("--schedule", Schedule),
        StepEpochs = StepEpochs,
        Seed = Seed,
        Augment = Augment,
        TrainLimit = TrainLimit,
        TestLimit = TestLimit,
        Device = Device,
    };

    /// <summary>Parses an option value written in kebab case (fresh-chip, mean-slope) or as the enum name.</summary>
    public static T Parse<T>(string option, string value) where T : struct, Enum =>
        Enum.TryParse<T>(value.Replace("-", ""), ignoreCase: true, out var v) && Enum.IsDefined(v)
            ? v
            : throw new ImcInputException(
                $"{option} '{value}' is not known: expected one " +
                $"of {string.Join(", ", Enum.GetNames<T>().Select(IO.Json.Name))}");
}

/// <summary>JSON result of `imc train`.</summary>
public sealed record TrainReport(string Model, string Dataset, int Epochs, long Seed, double TestAccuracy,
    double Seconds,
    double ImagesPerSecond, string Checkpoint, bool Resumed, List<EpochRecord> History);

public sealed class TrainCommand : Command<TrainSettings>
{
    public override int Execute(CommandContext context, TrainSettings s, CancellationToken cancellationToken)
    {
        CliErrors.InterruptedHint =
            $"interrupted; finished steps are in the checkpoint in {s.Out}: rerun with --resume to continue";
        var options = s.ToOptions();
        options.Validate();
        if (s.Hardware is null && (s.Init is not null))
            throw new ImcInputException(
                "--init needs --hw: it starts peripheral-aware training from a float checkpoint");
        if (s.Hardware is null && s.Time is not null)
            throw new ImcInputException("--time needs --hw: it sets when the training chips are read");
        var report = Run(options, s.Data, s.Out, s.Resume, cancellationToken, s.ToAware(), s.ImageShape());
        Tables.Training(report);
        if (s.Json is not null) IO.Json.WriteFile(s.Json, report);
        return 0;
    }

    /// <summary>Loads the data and trains; shared with `imc demo`.</summary>
    public static TrainReport Run(TrainOptions options, string? dataDir, string outDir, bool resume,
        CancellationToken cancel = default, AwareOptions? aware = null,
        (int, int, int)? imageShape = null)
    {
        using var train = Load(options.Dataset, dataDir, Split.Train, options.TrainLimit, imageShape);
        using var test = Load(options.Dataset, dataDir, Split.Test, options.TestLimit, imageShape);
        var result = ConsoleProgress.Run(p => Trainer.Train(options, train, test, outDir, resume, p, cancel, aware));
        return new TrainReport(options.Model, options.Dataset, options.Epochs, options.Seed, result.Info.TestAccuracy,
            result.Seconds, result.ImagesPerSecond, result.CheckpointPath, result.Resumed, result.Info.History);
    }

    internal static ImageSet Load(string dataset, string? dir, Split split, int limit, (int, int, int)? shape = null)
    {
        return DatasetCatalog.Load(dataset, dir, split, shape, limit);
    }
}
