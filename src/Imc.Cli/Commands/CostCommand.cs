using System.ComponentModel;
using ImcSharp.Cost;
using ImcSharp.Data;
using ImcSharp.Models;
using Spectre.Console;
using Spectre.Console.Cli;

namespace ImcSharp.Cli.Commands;

public sealed class CostSettings : CommandSettings
{
    [CommandOption("--hw <CONFIG>")]
    [Description("Hardware config (JSON), with an optional cost section (node, supply, cycle time, activities).")]
    public string Hardware { get; init; } = "";

    [CommandOption("--model <NAME>")]
    [Description("mlp, lenet5 (default), vgg8 or resnet20.")]
    [DefaultValue("lenet5")]
    public string Model { get; init; } = "lenet5";

    [CommandOption("--dataset <NAME>")]
    [Description("Input shape and classes: fashion-mnist (default), mnist or cifar10.")]
    [DefaultValue("fashion-mnist")]
    public string Dataset { get; init; } = "fashion-mnist";

    [CommandOption("--json <PATH>")]
    [Description("Write the breakdown as JSON to PATH.")]
    public string? Json { get; init; }

    [CommandOption("--plot <DIR>")]
    [Description("Write the stacked energy breakdown plot (PNG and SVG) into DIR.")]
    public string? Plot { get; init; }
}

/// <summary>`imc cost`: energy, area, throughput of a model on a design, with a breakdown.</summary>
public sealed class CostCommand : Command<CostSettings>
{
    public override int Execute(CommandContext context, CostSettings s, CancellationToken cancellationToken)
    {
        if (string.IsNullOrEmpty(s.Hardware)) throw new ImcInputException("--hw CONFIG is required");
        var config = Config.HardwareConfig.Load(s.Hardware);
        var cost = CoreCostModel.Price(Spec(s.Model, s.Dataset), config);
        Print(cost);
        if (s.Plot is not null)
            foreach (var f in Reporting.CostPlots.EnergyBreakdown(Path.Combine(s.Plot, $"{cost.Model}-{cost.Hardware}-energy"), cost))
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

    static string E(double j) => j >= 1e-6 ? $"{j * 1e6:F3} uJ" : j >= 1e-9 ? $"{j * 1e9:F3} nJ" : $"{j * 1e12:F3} pJ";

    public static void Print(NetworkCost c)
    {
        var t = new Table().Title($"[bold]{c.Model} on {Markup.Escape(c.Hardware)}[/]: per inference")
            .AddColumn("layer").AddColumn("mapping").AddColumn("conversions").AddColumn("arrays").AddColumn("drivers").AddColumn("ADCs")
            .AddColumn("calibration").AddColumn("shift-add").AddColumn("buffers+acc").AddColumn("digital").AddColumn("area mm2");
        foreach (var l in c.Layers)
            t.AddRow(l.Name, l.Digital ? "digital" : $"{l.Tiles} tiles, {l.Arrays} arrays, {l.Adcs} ADCs", l.ConversionsPerInference.ToString("N0"),
                E(l.Energy.Arrays), E(l.Energy.Drivers), E(l.Energy.Adc), E(l.Energy.Calibration), E(l.Energy.ShiftAdd),
                E(l.Energy.Buffers + l.Energy.Accumulation), E(l.Energy.DigitalLayers), l.Area.Total.ToString("F4"));
        var e = c.Energy;
        t.AddRow("[bold]total[/]", "", c.ConversionsPerInference.ToString("N0"), E(e.Arrays), E(e.Drivers), E(e.Adc), E(e.Calibration), E(e.ShiftAdd),
            E(e.Buffers + e.Accumulation), E(e.DigitalLayers), c.AreaMm2.ToString("F4"));
        AnsiConsole.Write(t);
        AnsiConsole.MarkupLine($"energy per inference [bold]{E(c.EnergyPerInferenceJ)}[/], area [bold]{c.AreaMm2:F4} mm2[/], " +
                               $"ADC share [bold]{c.AdcEnergyShare * 100:F1}%[/] of core compute energy and [bold]{c.AdcAreaShare * 100:F1}%[/] of area");
        AnsiConsole.MarkupLine($"throughput {c.ThroughputInferencesPerS:N0} inferences/s (pipelined), latency {c.LatencyS * 1e6:F2} us, " +
                               $"{c.TopsPerW:F2} TOPS/W, {c.TopsPerMm2:F3} TOPS/mm2 ({c.Macs:N0} MACs)");
    }
}
