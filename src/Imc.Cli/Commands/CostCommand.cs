using System.ComponentModel;
using ImcSharp.Cost;
using ImcSharp.Data;
using ImcSharp.Models;
using Spectre.Console;
using Spectre.Console.Cli;

namespace ImcSharp.Cli.Commands;

public sealed class CostSettings : ImcSettings
{
    public override bool RunsNetworks => false;

    public override IEnumerable<FileUse?> Files() =>
        new[] { FileUse.In(Hardware, "--hw"), FileUse.In(Checkpoint, "--checkpoint"), FileUse.Out(Json, "--json") };

    [CommandOption("--hw <CONFIG>")]
    [Description("Hardware config (JSON), with an optional cost section (node, supply, cycle time, activities).")]
    public string Hardware { get; init; } = "";

    [CommandOption("--model <NAME>")]
    [Description("mlp, lenet5 (default), vgg8 or resnet20.")]
    [DefaultValue("lenet5")]
    public string Model { get; init; } = "lenet5";

    [CommandOption("--checkpoint <CKPT>")]
    [Description("Price the network of this checkpoint (any, an imported ONNX one included) instead of --model.")]
    public string? Checkpoint { get; init; }

    [CommandOption("--dataset <NAME>")]
    [Description("Input shape and classes: fashion-mnist (default), mnist or cifar10.")]
    [DefaultValue("fashion-mnist")]
    public string Dataset { get; init; } = "fashion-mnist";

    [CommandOption("--json <PATH>")]
    [Description("Write the breakdown as JSON to PATH.")]
    public string? Json { get; init; }

    [CommandOption("--published")]
    [Description("Print the ADC model against the published designs it is checked with, and exit.")]
    public bool Published { get; init; }

    [CommandOption("--plot <DIR>")]
    [Description("Write the stacked energy breakdown plot (PNG and SVG) into DIR.")]
    public string? Plot { get; init; }
}

/// <summary>`imc cost`: energy, area, throughput of a model on a design, with a breakdown.</summary>
public sealed class CostCommand : Command<CostSettings>
{
    public override int Execute(CommandContext context, CostSettings s, CancellationToken cancellationToken)
    {
        if (s.Published)
        {
            var checks = PublishedAdcs.Check();
            var t = new Table().Title("[bold]ADC model vs published designs[/]").AddColumn("design")
                .AddColumn("published pJ").AddColumn("model pJ")
                .AddColumn("error").AddColumn("published mm2").AddColumn("model mm2").AddColumn("error");
            foreach (var c in checks)
                t.AddRow(Markup.Escape(c.Published.Source), (c.Published.EnergyPerConversionJ * 1e12).ToString("F2"),
                    (c.ModelEnergyJ * 1e12).ToString("F2"),
                    $"{c.EnergyError * 100:+0;-0}%", c.Published.AreaMm2?.ToString("F4") ?? "-",
                        c.ModelAreaMm2?.ToString("F4") ?? "-",
                    c.AreaError is { } a ? $"{a * 100:+0;-0}%" : "-");
            AnsiConsole.Write(t);
            if (s.Json is not null) IO.Json.WriteFile(s.Json, checks);
            return 0;
        }
        if (string.IsNullOrEmpty(s.Hardware)) throw new ImcInputException("--hw CONFIG is required");
        var config = Config.HardwareConfig.Load(s.Hardware);
        var spec = s.Checkpoint is not null ? Training.Checkpoint.ReadInfo(s.Checkpoint).Spec
            : Spec(s.Model, s.Dataset);
        var cost = CoreCostModel.Price(spec.Name, Nn.LayerShapes.Of(spec), config);
        Print(cost);
        if (s.Plot is not null)
            foreach (var f in Reporting.CostPlots.EnergyBreakdown(Path.Combine(s.Plot,
                $"{cost.Model}-{cost.Hardware}-energy"), cost))
                AnsiConsole.MarkupLine($"wrote {Markup.Escape(f)}");
        if (s.Json is not null) IO.Json.WriteFile(s.Json, cost);
        return 0;
    }

    public static ModelSpec Spec(string model, string dataset)
    {
        var (c, h, w, classes) = DatasetCatalog.Canonical(dataset) switch
        {
            "cifar10" => (3, 32, 32, 10),
            _ => (1, 28, 28, 10),
        };
        return new ModelSpec(ModelSpec.Canonical(model), c, h, w, classes);
    }

    static string E(double j) => j >= 1e-6 ? $"{j * 1e6:F2}uJ" : j >= 1e-9 ? $"{j * 1e9:F2}nJ" : $"{j * 1e12:F1}pJ";

    public static void Print(NetworkCost c)
    {
        var t = new Table().Title($"[bold]{c.Model} on {Markup.Escape(c.Hardware)}[/]: energy per inference")
            .AddColumn("layer").AddColumn("ADCs").AddColumn("conv.").AddColumn("arrays").AddColumn("drivers")
                .AddColumn("ADC").AddColumn("calib.")
            .AddColumn("digital").AddColumn("mm2");
        foreach (var l in c.Layers)
            t.AddRow(l.Name, l.Digital ? "digital" : l.Adcs.ToString(), l.ConversionsPerInference.ToString(),
                E(l.Energy.Arrays), E(l.Energy.Drivers),
                E(l.Energy.Adc), E(l.Energy.Calibration),
                    E(l.Energy.ShiftAdd + l.Energy.Buffers + l.Energy.Accumulation + l.Energy.DigitalLayers),
                    l.Area.Total.ToString("F3"));
        var e = c.Energy;
        t.AddRow("total", c.Layers.Sum(l => l.Adcs).ToString(), c.ConversionsPerInference.ToString(), E(e.Arrays),
            E(e.Drivers), E(e.Adc), E(e.Calibration),
            E(e.ShiftAdd + e.Buffers + e.Accumulation + e.DigitalLayers), c.AreaMm2.ToString("F3"));
        AnsiConsole.Write(t);
        AnsiConsole.MarkupLine("(digital = shift-and-add, accumulation, buffers and digital layers)");
        AnsiConsole.MarkupLine(
            $"energy per inference [bold]{E(c.EnergyPerInferenceJ)}[/], area [bold]{c.AreaMm2:F4} mm2[/]; ADCs with " +
            "calibration: " +
                               $"[bold]{c.AdcEnergyShare * 100:F1}%[/] of core compute energy, " +
                                   $"[bold]{c.AdcAreaShare * 100:F1}%[/] of area " +
                               $"(calibration alone {c.CalibrationEnergyShare * 100:F1}% " +
                                   $"/ {c.CalibrationAreaShare * 100:F1}%)");
        AnsiConsole.MarkupLine(
            $"throughput {c.ThroughputInferencesPerS:N0} inferences/s (pipelined), latency {c.LatencyS * 1e6:F2} us, " +
                               $"{c.TopsPerW:F2} TOPS/W, {c.TopsPerMm2:F3} TOPS/mm2 ({c.Macs:N0} MACs)");
        if (c.CompensationEnergyPerEventJ > 0)
            AnsiConsole.MarkupLine(
                $"drift compensation / retrim: {E(c.CompensationEnergyPerEventJ)} per event (the known-input and " +
                "zero-input reads at a read time), besides the per-inference scales in calib.");
    }
}
