using System.ComponentModel;
using ImcSharp.Training;
using Spectre.Console;
using Spectre.Console.Cli;

namespace ImcSharp.Cli.Commands;

public sealed class DemoSettings : CommandSettings
{
    [CommandOption("--data <DIR>")]
    [Description("Fashion-MNIST directory (default: /usr/share/datasets/fashion-mnist).")]
    public string? Data { get; init; }

    [CommandOption("--epochs <N>")]
    [DefaultValue(2)]
    public int Epochs { get; init; } = 2;

    [CommandOption("--out <DIR>")]
    [Description("Where the demo keeps its checkpoint; an existing finished one is reused.")]
    [DefaultValue("runs/demo")]
    public string Out { get; init; } = "runs/demo";

    [CommandOption("--json <PATH>")]
    public string? Json { get; init; }
}

/// <summary>JSON result of `imc demo`.</summary>
public sealed record DemoReport(TrainReport Train, EvalReport Eval);

/// <summary>The float baseline end to end: train (or reuse) LeNet-5, evaluate it.</summary>
public sealed class DemoCommand : Command<DemoSettings>
{
    public override int Execute(CommandContext context, DemoSettings s, CancellationToken cancellationToken)
    {
        var options = new TrainOptions { Model = "lenet5", Dataset = "fashion-mnist", Epochs = s.Epochs, Seed = 7 };
        options.Validate();
        AnsiConsole.MarkupLine($"[bold]ImcSharp demo[/]: LeNet-5 on Fashion-MNIST, float baseline ({s.Epochs} epochs, seed {options.Seed}).");
        // resume = true: a finished checkpoint in --out is reused, an interrupted one continues.
        var train = TrainCommand.Run(options, s.Data, s.Out, resume: true, cancellationToken);
        var eval = EvalCommand.Run(train.Checkpoint, options.Dataset, s.Data, 0);
        Tables.Evaluation(eval);
        if (s.Json is not null) IO.Json.WriteFile(s.Json, new DemoReport(train, eval));
        return 0;
    }
}
