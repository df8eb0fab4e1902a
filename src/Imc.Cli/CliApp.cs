using ImcSharp.Cli.Commands;
using Spectre.Console;
using Spectre.Console.Cli;

namespace ImcSharp.Cli;

/// <summary>The `imc` command line: one place that lists every subcommand.</summary>
public static class CliApp
{
    public static int Run(string[] args)
    {
        // Redirected output (a file, a pipe, CI logs) has no terminal width: tables keep their natural width
        // instead of being cut to 80 columns; COLUMNS, when set, still wins.
        if (Console.IsOutputRedirected)
            AnsiConsole.Profile.Width =
                int.TryParse(Environment.GetEnvironmentVariable("COLUMNS"), out var cols) && cols > 0 ? cols : 1000;
        var app = new CommandApp();
        app.Configure(config =>
        {
            config.SetApplicationName("imc");
            config.PropagateExceptions();
            config.UseStrictParsing();
            config.SetInterceptor(new OutputCheck());
            config.AddCommand<TrainCommand>("train")
                .WithDescription("Train a float (ideal digital) model; checkpoint every epoch.")
                .WithExample("train", "--model", "lenet5", "--dataset", "fashion-mnist", "--epochs", "3", "--seed", "7",
                    "--out", "runs/lenet5", "--json", "train.json");
            config.AddCommand<EvalCommand>("eval").WithDescription("Evaluate a checkpoint on a dataset's test split.")
                .WithExample("eval", "--checkpoint", "runs/lenet5/lenet5.ckpt", "--dataset", "fashion-mnist", "--json",
                    "eval.json")
                .WithExample("eval", "--checkpoint", "runs/lenet5/lenet5.ckpt", "--hw", "configs/puma-reference.json",
                    "--chips", "10", "--json", "hw.json");
            config.AddBranch("adc", adc =>
            {
                adc.SetDescription("ADC populations: show a model's linearity, import simulated or measured curves.");
                adc.AddCommand<AdcShowCommand>("show")
                    .WithDescription("Draw a population from an ADC config; INL/DNL table, transfer/INL/DNL plots.")
                    .WithExample("adc", "show", "configs/adc/sar.json", "--json", "sar.json");
                adc.AddCommand<AdcImportCommand>("import")
                    .WithDescription(
                    "Import simulated or measured ADC curves (CSV) into a reusable population file; plots and " +
                    "statistics.")
                    .WithExample("adc", "import", "sim/cco-import.json");
            });
            config.AddCommand<ImportCommand>("import")
                .WithDescription("Import a network trained elsewhere (a PyTorch state dict) as a checkpoint.")
                .WithExample("import", "lenet5.pt", "--model", "lenet5", "--out", "runs/imported/lenet5.ckpt", "--mean",
                    "0.2860", "--std", "0.3530");
            config.AddCommand<CostCommand>("cost")
                .WithDescription("Energy, area and throughput of a model on a design, with a per-layer breakdown.")
                .WithExample("cost", "--hw", "configs/reference-sar8.json", "--model", "lenet5", "--json", "cost.json");
            config.AddCommand<SweepCommand>("sweep")
                .WithDescription(
                "Design-space sweep (ADC type x bits x calibration x sharing x training): accuracy vs energy and " +
                "area; `imc sweep merge SPEC` joins shards.")
                .WithExample("sweep", "experiments/sweep-lenet5.json", "--shard", "0/4")
                .WithExample("sweep", "merge", "experiments/sweep-lenet5.json");
            config.AddCommand<SearchCommand>("search")
                .WithDescription(
                "The cheapest design (energy, area or energy-delay-area) that holds an accuracy target on the worst " +
                "corner, chip or mean, found cheap-first without the full grid; `imc search merge SPEC` joins shards.")
                .WithExample("search", "experiments/search-lenet5.json", "--json", "search.json");
            config.AddBranch("experiment", ex =>
            {
                ex.SetDescription("Whole experiments driven by a spec in experiments/.");
                ex.AddCommand<ApproxAdcCommand>("approx-adc")
                    .WithDescription(
                    "Float vs peripheral-aware networks on ideal, calibrated and approximate ADCs over Monte Carlo " +
                    "chips.")
                    .WithExample("experiment", "approx-adc", "--quick", "--json", "approx-adc.json");
            });
            config.AddCommand<PlotCommand>("plot")
                .WithDescription("Plot accuracy curves (chip mean, worst chip) from a series file, as PNG and SVG.")
                .WithExample("plot", "runs/drift/drift-time.series.json", "--out", "runs/drift/drift-time");
            config.AddCommand<DemoCommand>("demo")
                .WithDescription("Train (or reuse) LeNet-5 on Fashion-MNIST and evaluate it.");
        });
                // Ctrl+C stops a long loop at the next batch; what is checkpointed stays usable.
        using var cts = new CancellationTokenSource();
        ConsoleCancelEventHandler onCancel = (_, e) => { e.Cancel = true; cts.Cancel(); };
        Console.CancelKeyPress += onCancel;
        try { return CliErrors.Run(() => app.Run(args, cts.Token), args); }
        finally { Console.CancelKeyPress -= onCancel; }
    }
}
