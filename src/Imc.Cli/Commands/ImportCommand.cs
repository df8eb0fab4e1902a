using System.ComponentModel;
using System.Globalization;
using ImcSharp.Data;
using ImcSharp.Models;
using ImcSharp.Training;
using Spectre.Console;
using Spectre.Console.Cli;

namespace ImcSharp.Cli.Commands;

public sealed class ImportSettings : ImcSettings
{
    public override IEnumerable<FileUse?> Files() =>
        new[] { FileUse.In(Model, "MODEL"), FileUse.Out(OutputFile, "--out"), FileUse.Out(Json, "--json") };

    [CommandArgument(0, "<MODEL>")]
    [Description("An ONNX model (.onnx, any framework's export) or a PyTorch state dict (.pt/.pth, " +
        "torch.save(model.state_dict(), path)).")]
    public string Model { get; init; } = "";

    [CommandOption("--model <NAME>")]
    [Description("For a state dict: the built-in architecture it was trained as, mlp, lenet5, vgg8 or resnet20 " +
        "(parameter names must match).")]
    public string? Architecture { get; init; }

    [CommandOption("--out <CKPT>")]
    [Description("The checkpoint to write.")]
    public string? OutputFile { get; init; }

    [CommandOption("--dataset <NAME>")]
    [Description("What the network classifies, for its input shape and classes: fashion-mnist (default), mnist or " +
        "cifar10; with imagefolder give --input and --classes.")]
    [DefaultValue("fashion-mnist")]
    public string Dataset { get; init; } = "fashion-mnist";

    [CommandOption("--input <CxHxW>")]
    [Description("Input shape, e.g. 3x32x32 (default: the dataset's).")]
    public string? Input { get; init; }

    [CommandOption("--classes <N>")]
    [Description("Number of classes (default: the dataset's).")]
    public int? Classes { get; init; }

    [CommandOption("--mean <M[,M..]>")]
    [Description("Per-channel mean the network expects of pixels in [0, 1] (default 0).")]
    public string? Mean { get; init; }

    [CommandOption("--std <S[,S..]>")]
    [Description("Per-channel standard deviation the network expects of pixels in [0, 1] (default 1).")]
    public string? Std { get; init; }

    [CommandOption("--json <PATH>")]
    [Description("Write what was imported as JSON.")]
    public string? Json { get; init; }
}

/// <summary>JSON result of `imc import`.</summary>
public sealed record ModelImportReport(string Source, string Checkpoint, string Model, int InChannels, int Height,
    int Width, int Classes, float[] Mean, float[] Std, long Parameters)
{
    /// <summary>
    /// ONNX imports: the largest |output difference| against ONNX Runtime on the cross-check's images (see
    /// OnnxCrossCheck).
    /// </summary>
    public double? OnnxRuntimeMaxAbsDifference { get; init; }
}

public sealed class ImportCommand : Command<ImportSettings>
{
    public override int Execute(CommandContext context, ImportSettings s, CancellationToken cancellationToken)
    {
        var ext = Path.GetExtension(s.Model).ToLowerInvariant();
        if (ext is not (".pt" or ".pth" or ".onnx"))
            throw new ImcInputException(
                $"{s.Model}: expected an ONNX model (.onnx) or a PyTorch state dict (.pt or .pth)");
        if (s.OutputFile is null) throw new ImcInputException("--out CKPT is required: where to write the checkpoint");
        if (ext == ".onnx") return ImportOnnx(s);
        if (s.Architecture is null) throw new ImcInputException(
            "--model NAME is required: the built-in architecture the state dict was trained as (mlp, lenet5, vgg8, " +
            "resnet20)");
        if (s.OutputFile is null) throw new ImcInputException("--out CKPT is required: where to write the checkpoint");
        var dataset = DatasetCatalog.Canonical(s.Dataset);
        var (c, h, w) = s.Input is null ? DatasetShape(dataset) : ParseShape(s.Input);
        int classes =
            s.Classes ?? (dataset == "imagefolder"
            ? throw new ImcInputException("--classes N is required with --dataset imagefolder") : 10);
        if (classes < 2) throw new ImcInputException($"--classes {classes}: expected an integer >= 2");
        var spec = new ModelSpec(ModelSpec.Canonical(s.Architecture), c, h, w, classes);
        var norm = new Normalization(PerChannel(s.Mean, "--mean", c, 0f), PerChannel(s.Std, "--std", c, 1f));
        if (norm.Std.Any(x => !(x > 0))) throw new ImcInputException($"--std {s.Std}: expected positive values");
        using var model = PyTorchImport.Load(s.Model, spec);
        Checkpoint.SaveImported(s.OutputFile, s.Model, "pytorch state dict", spec, norm, dataset, model);
        long parameters = model.parameters().Sum(p => p.numel());
        AnsiConsole.MarkupLine(
            $"imported [bold]{Markup.Escape(s.Model)}[/] as {spec.Name} ({c}x{h}x{w}, {classes} " +
            $"classes, {parameters:N0} parameters): {Markup.Escape(s.OutputFile)}");
        if (s.Json is not null) IO.Json.WriteFile(s.Json,
            new ModelImportReport(s.Model, s.OutputFile, spec.Name, c, h, w, classes, norm.Mean, norm.Std, parameters));
        return 0;
    }

    static int ImportOnnx(ImportSettings s)
    {
        if (s.Architecture is not null) throw new ImcInputException(
            "--model applies to state dicts: an ONNX model brings its own graph");
        var dataset = DatasetCatalog.Canonical(s.Dataset);
        using var network = OnnxNetwork.Load(s.Model);
        var (gc, gh, gw, gk) = network.Shapes();
        var (c, h, w) = s.Input is not null ? ParseShape(s.Input)
            : gc is { } c0 && gh is { } h0 && gw is { } w0 ? (c0, h0, w0)
            : throw new ImcInputException($"{s.Model}: the graph does not state its input size: give --input CxHxW");
        int classes =
            s.Classes ?? gk
            ?? throw new ImcInputException(
            $"{s.Model}: the graph does not state its number of classes: give --classes N");
        var spec = new ModelSpec(ModelSpec.OnnxName, c, h, w, classes) { Onnx = network.GraphWithoutWeights() };
        var norm = new Normalization(PerChannel(s.Mean, "--mean", c, 0f), PerChannel(s.Std, "--std", c, 1f));
        if (norm.Std.Any(x => !(x > 0))) throw new ImcInputException($"--std {s.Std}: expected positive values");
        // One forward pass checks the graph runs on this input size before anything is written.
        network.eval();
        using (TorchSharp.torch.no_grad()) network.call(TorchSharp.torch.zeros(1, c, h, w)).Dispose();
        var (difference, scale) = OnnxCrossCheck.Compare(s.Model, network, c, h, w);
        if (!(difference <= OnnxCrossCheck.Tolerance * Math.Max(1, scale)))
            throw new ImcInputException(
                $"{s.Model}: ImcSharp's outputs differ from ONNX Runtime's by {difference:G3} (outputs up " +
                $"to {scale:G3}; tolerance {OnnxCrossCheck.Tolerance:G2} of that): the graph is misread, so it is " +
                "not imported");
        Checkpoint.SaveImported(s.OutputFile!, s.Model, "onnx", spec, norm, dataset, network);
        long parameters = network.parameters().Sum(p => p.numel());
        var layers =
            network.named_children()
            .Count(m => m.module is Nn.FloatConv2d or TorchSharp.Modules.Conv2d or TorchSharp.Modules.Linear);
        AnsiConsole.MarkupLine(
            $"imported [bold]{Markup.Escape(s.Model)}[/] (ONNX, {layers} weight layers, {parameters:N0} " +
            $"parameters, {c}x{h}x{w} -> {classes}): {Markup.Escape(s.OutputFile!)}");
        AnsiConsole.MarkupLine(
            $"ONNX Runtime agrees: largest output difference {difference:G3} over {OnnxCrossCheck.Samples} images " +
            $"(outputs up to {scale:G3})");
        if (s.Json is not null) IO.Json.WriteFile(s.Json,
            new ModelImportReport(s.Model, s.OutputFile!, ModelSpec.OnnxName, c, h, w, classes, norm.Mean, norm.Std,
            parameters) { OnnxRuntimeMaxAbsDifference = difference });
        return 0;
    }

    static (int, int, int) DatasetShape(string dataset) => dataset switch
    {
        "cifar10" => (3, 32, 32),
        "imagefolder" => throw new ImcInputException("--input CxHxW is required with --dataset imagefolder"),
        _ => (1, 28, 28),
    };

    static (int, int, int) ParseShape(string text)
    {
        var p = text.ToLowerInvariant().Split('x');
        if (p.Length == 3 && int.TryParse(p[0], out var c) && int.TryParse(p[1], out var h)
            && int.TryParse(p[2], out var w) && c > 0 && h > 0 && w > 0)
            return (c, h, w);
        throw new ImcInputException($"--input '{text}': expected CxHxW, e.g. 1x28x28");
    }

    static float[] PerChannel(string? text, string option, int channels, float fallback)
    {
        if (text is null) return Enumerable.Repeat(fallback, channels).ToArray();
        var values =
            text.Split(',').Select(v => float.TryParse(v, NumberStyles.Float, CultureInfo.InvariantCulture, out var f)
            && float.IsFinite(f) ? f
            : throw new ImcInputException($"{option} '{text}': expected numbers separated by commas")).ToArray();
        if (values.Length == 1) return Enumerable.Repeat(values[0], channels).ToArray();
        if (values.Length != channels) throw new ImcInputException(
            $"{option} '{text}': expected 1 or {channels} values (one per input channel)");
        return values;
    }
}
