using System.ComponentModel;
using Spectre.Console.Cli;

namespace ImcSharp.Cli.Commands;

/// <summary>Options every command takes.</summary>
public class ImcSettings : CommandSettings
{
    /// <summary>
    /// The files this command reads and writes, as options name them: checked before it runs
    /// (<see cref="CommandFiles"/>: no output may be an input or another output).
    /// </summary>
    public virtual IEnumerable<FileUse?> Files() => Array.Empty<FileUse?>();

    /// <summary>
    /// Whether the command runs networks (so how its convolutions run concerns it): not for pricing or ADC curves.
    /// </summary>
    public virtual bool RunsNetworks => true;

    [CommandOption("--threads <N>")]
    [Description("Compute threads (default: the CPUs this process may use, from its affinity and cgroup limit). Give " +
        "each of several processes sharing a machine its share.")]
    public int? Threads { get; init; }

    [CommandOption("--device <NAME>")]
    [Description("Device networks and chips compute on: cpu (default), cuda or cuda:N. CUDA needs the TorchSharp " +
        "CUDA package of the same version in place of TorchSharp-cpu (ImcSharp ships the CPU one). Chips are " +
        "programmed on the CPU, so a seed gives the same chip on any device.")]
    [DefaultValue("cpu")]
    public string Device { get; init; } = "cpu";

    [CommandOption("--low-memory")]
    [Description("Free oneDNN's convolution primitives after each use (ONEDNN_PRIMITIVE_CACHE_CAPACITY=0): a " +
        "bit-serial LeNet-5 evaluation peaks at about 0.8 GB instead of 1.2 GB; convolution-heavy runs (ResNet-20) " +
        "are 20-46% slower.")]
    public bool LowMemory { get; init; }
}
