using System.ComponentModel;
using ImcSharp.Experiments;
using ImcSharp.Training;
using Spectre.Console;
using Spectre.Console.Cli;

namespace ImcSharp.Cli.Commands;

public sealed class DemoSettings : ImcSettings
{
    public override IEnumerable<FileUse?> Files() =>
        new[] { FileUse.In(Config, "--config"), FileUse.Out(Json, "--json") };

    [CommandOption("--data <DIR>")]
    [Description("Fashion-MNIST directory (default: /usr/share/datasets/fashion-mnist).")]
    public string? Data { get; init; }

    [CommandOption("--epochs <N>")]
    [Description("Float training epochs.")]
    [DefaultValue(2)]
    public int Epochs { get; init; } = 2;

    [CommandOption("--config <PATH>")]
    [Description("Experiment spec whose first array mode the small approx-adc run uses.")]
    [DefaultValue("experiments/approx-adc.json")]
    public string Config { get; init; } = "experiments/approx-adc.json";

    [CommandOption("--out <DIR>")]
    [Description("Where the demo keeps its checkpoints and results; finished ones are reused.")]
    [DefaultValue("runs/demo")]
    public string Out { get; init; } = "runs/demo";

    [CommandOption("--json <PATH>")]
    public string? Json { get; init; }
}

/// <summary>JSON result of `imc demo`.</summary>
public sealed record DemoReport(TrainReport Train, EvalReport Eval, ApproxAdcResult ApproxAdc);

/// <summary>
/// End to end in a few minutes: train (or reuse) LeNet-5, evaluate it, then a small version of the
/// approx-adc experiment (one array mode, 7-bit, 1 epoch of peripheral-aware fine-tuning, 5 chips
/// on 2,000 test images).
/// </summary>
public sealed class DemoCommand : Command<DemoSettings>
{
    public override int Execute(CommandContext context, DemoSettings s, CancellationToken cancellationToken)
    {
        CliErrors.InterruptedHint =
            "interrupted; finished work is saved: rerun `imc demo` with the same options to continue from there";
        var options =
            new TrainOptions { Model = "lenet5", Dataset = "fashion-mnist", Epochs = s.Epochs, Seed = 7,
            Device = s.Device };
        options.Validate();
        var spec = ApproxAdcSpec.Load(s.Config);
        AnsiConsole.MarkupLine(
            $"[bold]ImcSharp demo[/]: LeNet-5 on Fashion-MNIST, float baseline ({s.Epochs} epochs, " +
            $"seed {options.Seed}).");
        // resume = true: a finished checkpoint in --out is reused, an interrupted one continues.
        // Where the experiment below keeps its float network of this seed: it reuses this one.
        var train = TrainCommand.Run(options, s.Data, Path.Combine(s.Out, "lenet5", $"seed-{options.Seed}"),
            resume: true, cancellationToken);
        var eval = EvalCommand.Run(train.Checkpoint, options.Dataset, s.Data, 0, s.Device);
        Tables.Evaluation(eval);
        var small = spec with
        {
            Name = "approx-adc-demo",
            Seed = options.Seed,
            Seeds = new(),
            Models = new() { new ExperimentModel { Model = "lenet5", FloatEpochs = s.Epochs, AwareEpochs = 1,
                AwareLr = 5e-4, TestImages = 2000, Chips = 5 } },
            ArrayModes = spec.ArrayModes.Take(1).ToList(),
            AdcBits = new() { 7 },
            Chips = 5,
            VariationStudy = false,
        };
        AnsiConsole.MarkupLine(
            $"[bold]approx-adc, small[/]: float-trained vs peripheral-aware LeNet-5 " +
            $"on {Markup.Escape(small.ArrayModes[0].Name)}-mode cores " +
                               "with ideal, calibrated and uncalibrated 7-bit ADCs, 5 chips, 2,000 test images.");
        var result = ApproxAdcCommand.Run(small, quick: false, s.Out, s.Data, cancellationToken, s.Device);
        IO.AtomicFile.WriteAllText(Path.Combine(s.Out, "results.md"),
            ApproxAdcCommand.Report(result, "./imc demo", s.Out));
        AnsiConsole.WriteLine(result.Table);
        AnsiConsole.MarkupLine(
            $"the full experiment: [bold]./imc experiment approx-adc[/] (or --quick); results " +
            $"in {Markup.Escape(Path.Combine(s.Out, "results.md"))}");
        if (s.Json is not null) IO.Json.WriteFile(s.Json, new DemoReport(train, eval, result));
        return 0;
    }
}
