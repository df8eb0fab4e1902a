using System.ComponentModel;
using Spectre.Console.Cli;

namespace ImcSharp.Cli.Commands;

/// <summary>Options every command takes.</summary>
public class ImcSettings : CommandSettings
{
    [CommandOption("--threads <N>")]
    [Description("Compute threads (default: the CPUs this process may use, from its affinity and cgroup limit). Give each of several processes sharing a machine its share.")]
    public int? Threads { get; init; }
}
