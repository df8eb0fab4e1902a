using System.ComponentModel;
using System.Diagnostics;
using ImcSharp.Data;
using ImcSharp.Training;
using Spectre.Console.Cli;

namespace ImcSharp.Cli.Commands;

public sealed class EvalSettings : DataSettings
{
    [CommandOption("--checkpoint <PATH>")]
    [Description("Checkpoint written by `imc train`.")]
    public string Checkpoint { get; init; } = "";
}

/// <summary>JSON result of `imc eval`.</summary>
public sealed record EvalReport(string Model, string Dataset, int Epochs, long Seed, double TestAccuracy, double TestLoss,
    long Samples, double Seconds, string Checkpoint);

public sealed class EvalCommand : Command<EvalSettings>
{
    public override int Execute(CommandContext context, EvalSettings s, CancellationToken cancellationToken)
    {
        if (string.IsNullOrEmpty(s.Checkpoint)) throw new ImcInputException("--checkpoint PATH is required");
        var report = Run(s.Checkpoint, DatasetCatalog.Canonical(s.Dataset), s.Data, s.TestLimit);
        Tables.Evaluation(report);
        if (s.Json is not null) IO.Json.WriteFile(s.Json, report);
        return 0;
    }

    public static EvalReport Run(string checkpoint, string dataset, string? dataDir, int testLimit)
    {
        var sw = Stopwatch.StartNew();
        var (info, model) = Checkpoint.Load(checkpoint);
        using (model)
        {
            using var test = TrainCommand.Load(dataset, dataDir, Split.Test, testLimit);
            if (test.Channels != info.Spec.InChannels || test.Height != info.Spec.Height || test.Width != info.Spec.Width)
                throw new ImcInputException($"{checkpoint}: model expects {info.Spec.InChannels}x{info.Spec.Height}x{info.Spec.Width} inputs but {dataset} has {test.Channels}x{test.Height}x{test.Width}");
            var r = ConsoleProgress.Run(p => Evaluator.Evaluate(model, test, info.Normalization, progress: p, phase: "test"));
            return new EvalReport(info.Spec.Name, dataset, info.EpochsDone, info.Options.Seed, r.Accuracy, r.Loss, r.Samples,
                sw.Elapsed.TotalSeconds, checkpoint);
        }
    }
}
