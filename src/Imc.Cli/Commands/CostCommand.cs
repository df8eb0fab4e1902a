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
    [Description("mlp, lenet5 (default), vgg8, resnet20, lstm, gru or vit.")]
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
    [Description("Print the ADC model against the published converters: the survey's (each against the fit of the " +
        "others, leave-one-out) and the others; with --plot, the survey's figures of merit with the models'; exit.")]
    public bool Published { get; init; }

    [CommandOption("--plot <DIR>")]
    [Description("Write the stacked energy breakdown plot (PNG and SVG) into DIR (with --published: the Walden and " +
        "Schreier figures of merit against sample rate, survey and models).")]
    public string? Plot { get; init; }
}

/// <summary>`imc cost`: energy, area, throughput of a model on a design, with a breakdown.</summary>
public sealed class CostCommand : Command<CostSettings>
{
    public override int Execute(CommandContext context, CostSettings s, CancellationToken cancellationToken)
    {
        if (s.Published) return Published(s);
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

    /// <summary>
    /// `imc cost --published`: the calibration per kind, every survey converter, the other published ones.
    /// </summary>
    static int Published(CostSettings s)
    {
        var checks = AdcSurvey.CrossValidate();
        static string Pct(double e) => $"{e * 100:+0;-0}%";
        static bool Within(double? e) => e is { } x && Math.Abs(x) <= 0.3;
        var kinds = new Table().Title("[bold]ADC prices calibrated on Murmann's survey[/] (errors leave-one-out)")
            .AddColumn("kind").AddColumn("priced as").AddColumn("converters").AddColumn("energy scale")
            .AddColumn("corner at 28 nm").AddColumn("median |energy error|").AddColumn("within 30%")
            .AddColumn("area scale").AddColumn("median |area error|").AddColumn("area within 30%");
        foreach (var kind in AdcSurvey.PricedAs.Keys)
        {
            var fit = AdcSurvey.For(kind);
            var mine = checks.Where(c => c.Adc.Kind == kind).ToList();
            var areas = mine.Where(c => c.AreaError is not null).ToList();
            double energyError = AdcSurvey.Median(mine.Select(c => Math.Abs(c.EnergyError)));
            double areaError = AdcSurvey.Median(areas.Select(c => Math.Abs(c.AreaError!.Value)));
            kinds.AddRow(kind, AdcSurvey.PricedAs[kind], mine.Count.ToString(), fit.EnergyScale.ToString("F2"),
                $"{fit.CornerHz28 / 1e9:G3} GHz", $"{energyError * 100:F0}%",
                mine.Count(c => Within(c.EnergyError)).ToString(), fit.AreaScale.ToString("F2"),
                areas.Count == 0 ? "-" : $"{areaError * 100:F0}%",
                $"{areas.Count(c => Within(c.AreaError))} of {areas.Count}");
        }
        AnsiConsole.Write(kinds);
        var t = new Table().Title("[bold]Survey converters[/]").AddColumn("source").AddColumn("kind")
            .AddColumn("node nm").AddColumn("bits").AddColumn("MS/s").AddColumn("published pJ").AddColumn("model pJ")
            .AddColumn("error").AddColumn("published mm2").AddColumn("model mm2").AddColumn("error");
        foreach (var c in checks.OrderBy(c => c.Adc.Kind).ThenBy(c => Math.Abs(c.EnergyError)))
            t.AddRow(Markup.Escape(c.Adc.Source), c.Adc.Kind, c.Adc.NodeNm.ToString("G4"), c.Adc.PricedBits.ToString(),
                (c.Adc.SampleRate / 1e6).ToString("G4"), (c.Adc.EnergyPerConversion * 1e12).ToString("G3"),
                (c.ModelEnergyJ * 1e12).ToString("G3"), (Within(c.EnergyError) ? "[green]" : "[grey]")
                    + Pct(c.EnergyError) + "[/]", c.Adc.AreaMm2?.ToString("G3") ?? "-",
                c.ModelAreaMm2?.ToString("G3") ?? "-", c.AreaError is { } a ? Pct(a) : "-");
        AnsiConsole.Write(t);
        var others = PublishedAdcs.Check();
        var o = new Table().Title("[bold]Other published converters[/] (not in the fit)").AddColumn("design")
            .AddColumn("published pJ").AddColumn("model pJ").AddColumn("error").AddColumn("published mm2")
            .AddColumn("model mm2").AddColumn("error");
        foreach (var c in others)
            o.AddRow(Markup.Escape(c.Published.Source), (c.Published.EnergyPerConversionJ * 1e12).ToString("F2"),
                (c.ModelEnergyJ * 1e12).ToString("F2"), Pct(c.EnergyError), c.Published.AreaMm2?.ToString("F4") ?? "-",
                c.ModelAreaMm2?.ToString("F4") ?? "-", c.AreaError is { } a ? Pct(a) : "-");
        AnsiConsole.Write(o);
        var macros = PublishedMacros.Check();
        var mt = new Table().Title("[bold]Published IMC macros and accelerators[/] (peak: one full-array MVM; " +
                "assumptions in configs/published)").AddColumn("design").AddColumn("scope").AddColumn("workload")
            .AddColumn("published TOPS/W").AddColumn("model TOPS/W").AddColumn("error")
            .AddColumn("published TOPS/mm2").AddColumn("model TOPS/mm2").AddColumn("error");
        foreach (var m in macros)
            mt.AddRow(Markup.Escape(m.Published.Source), m.Published.Scope, m.Workload,
                m.Published.TopsPerW.ToString("G3"),
                m.ModelTopsPerW.ToString("G3"), Pct(m.TopsPerWError), m.Published.TopsPerMm2?.ToString("G3") ?? "-",
                m.ModelTopsPerMm2.ToString("G3"), m.TopsPerMm2Error is { } e ? Pct(e) : "-");
        AnsiConsole.Write(mt);
        if (s.Plot is not null)
            foreach (var f in Reporting.CostPlots.SurveyFigures(s.Plot, AdcSurvey.All))
                AnsiConsole.MarkupLine($"wrote {Markup.Escape(f)}");
        if (s.Json is not null)
            IO.Json.WriteFile(s.Json, new PublishedCheck(AdcSurvey.PricedAs.Keys.Select(AdcSurvey.For).ToList(),
                checks, others, macros.Select(m => new MacroRow(m.Published, m.Workload, m.ModelTopsPerW,
                    m.TopsPerWError, m.ModelTopsPerMm2, m.TopsPerMm2Error)).ToList()));
        return 0;
    }

    static string E(double j) => j >= 1e-6 ? $"{j * 1e6:F2}uJ" : j >= 1e-9 ? $"{j * 1e9:F2}nJ" : $"{j * 1e12:F1}pJ";

    public static void Print(NetworkCost c)
    {
        var t = new Table().Title($"[bold]{c.Model} on {Markup.Escape(c.Hardware)}[/]: energy per inference")
            .AddColumn("layer").AddColumn("ADCs").AddColumn("conv.").AddColumn("arrays").AddColumn("drivers")
                .AddColumn("ADC").AddColumn("calib.")
            .AddColumn("digital").AddColumn("mm2");
        foreach (var l in c.Layers)
            t.AddRow(l.Op is null ? l.Name : $"{l.Name} ({l.Op})", l.Digital ? "digital" : l.Adcs.ToString(),
                l.ConversionsPerInference.ToString(),
                E(l.Energy.Arrays), E(l.Energy.Drivers),
                E(l.Energy.Adc), E(l.Energy.Calibration),
                    E(l.Energy.ShiftAdd + l.Energy.Buffers + l.Energy.Accumulation + l.Energy.DigitalLayers
                        + l.Energy.DigitalOps),
                    l.Area.Total.ToString("F3"));
        var e = c.Energy;
        t.AddRow("total", c.Layers.Sum(l => l.Adcs).ToString(), c.ConversionsPerInference.ToString(), E(e.Arrays),
            E(e.Drivers), E(e.Adc), E(e.Calibration),
            E(e.ShiftAdd + e.Buffers + e.Accumulation + e.DigitalLayers + e.DigitalOps), c.AreaMm2.ToString("F3"));
        AnsiConsole.Write(t);
        AnsiConsole.MarkupLine(
            "(digital = shift-and-add, accumulation, buffers, digital layers and digital operations)");
        if (c.Layers.Any(l => l.Op is not null))
            AnsiConsole.MarkupLine(
                "digital operations (attention products, softmax, LayerNorm, GELU, recurrent cells; placed " +
                $"digitally): " +
                $"[bold]{E(e.DigitalOps)}[/] ({e.DigitalOps / c.EnergyPerInferenceJ * 100:F1}% of the energy), " +
                $"their unit {c.Area.DigitalOps:F4} mm2");
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
        if (c.TestTimeS > 0)
            AnsiConsole.MarkupLine(
                $"per-chip test at deployment: {c.TestTimeS * 1e6:F2} us, {E(c.TestEnergyJ)} (offset trim: a " +
                "zero-input vector; calibration: a code-density test of every ADC; compensation: its calibration " +
                "images, one inference each), once per chip.");
    }
}

/// <summary>
/// JSON of `imc cost --published`: the fits, every survey converter (leave-one-out), the other converters, the macros.
/// </summary>
public sealed record PublishedCheck(List<SurveyFit> Fits, List<SurveyCheck> Survey, List<ModelCheck> Others,
    List<MacroRow> Macros);

/// <summary>A published macro against the model (<see cref="MacroCheck"/> without its breakdown).</summary>
public sealed record MacroRow(PublishedMacro Published, string Workload, double ModelTopsPerW, double TopsPerWError,
    double ModelTopsPerMm2, double? TopsPerMm2Error);
