using System.ComponentModel;
using Spectre.Console.Cli;

namespace ImcSharp.Cli.Commands;

/// <summary>Options shared by every command that reads a dataset and writes results.</summary>
public class DataSettings : ImcSettings
{
    public override IEnumerable<FileUse?> Files() => base.Files().Append(FileUse.Out(Json, "--json"));

    [CommandOption("--dataset <NAME>")]
    [Description("fashion-mnist (default), mnist, cifar10, or imagefolder (--data DIR of class-named subfolders of " +
        "PNG/JPEG images, resized to the model input).")]
    [DefaultValue("fashion-mnist")]
    public string Dataset { get; init; } = "fashion-mnist";

    [CommandOption("--data <DIR>")]
    [Description("Directory with the dataset files (default for fashion-mnist: /usr/share/datasets/fashion-mnist).")]
    public string? Data { get; init; }

    [CommandOption("--test-limit <N>")]
    [Description("Evaluate on the first N test images only (0 = all).")]
    [DefaultValue(0)]
    public int TestLimit { get; init; }

    [CommandOption("--json <PATH>")]
    [Description("Write the results as JSON to PATH.")]
    public string? Json { get; init; }
}
