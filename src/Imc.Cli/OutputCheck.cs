using Spectre.Console.Cli;

namespace ImcSharp.Cli;

/// <summary>
/// Before any command runs: its compute threads are set (<see cref="NativeRuntime.ConfigureThreads"/>),
/// every path it will write (--json, --results, --save-population files;
/// --out and --plot directories) must be writable, every input file it names must exist, so a
/// long run never fails at its end and loses its result, and no output may be one of its inputs
/// (<see cref="CommandFiles"/>).
/// </summary>
public sealed class OutputCheck : ICommandInterceptor
{
    static readonly string[] FileOptions = { "Json", "Results", "SavePopulation", "OutputFile" };
    static readonly string[] DirectoryOptions = { "Out", "Plot" };
    static readonly (string Property, string Option)[] InputFiles =
        { ("Checkpoint", "--checkpoint"), ("Hardware", "--hw"), ("Init", "--init"), ("Config", "--config") };

    /// <summary>
    /// Whether the next command says that convolutions run as GEMMs here (once a process; the tests turn it off).
    /// </summary>
    public static bool WarnAboutConvolutionKernels { get; set; } = true;

    public void Intercept(CommandContext context, CommandSettings settings)
    {
        // Before anything loads libtorch: its OpenMP runtime reads the spin setting at load, oneDNN its cache size.
        if (settings is Commands.ImcSettings { LowMemory: true }) NativeRuntime.ReleaseConvolutionPrimitives();
        NativeRuntime.ConfigureThreads((settings as Commands.ImcSettings)?.Threads);
        if (settings is Commands.ImcSettings { Device: var device }) ComputeTarget.Parse(device);
        if (WarnAboutConvolutionKernels && settings is not Commands.ImcSettings { RunsNetworks: false }
            && !Convolution2d.KernelsHealthy)
        {
            WarnAboutConvolutionKernels = false;
            Console.Error.WriteLine(
                $"imc: warning: libtorch's convolution kernels fail a self-check on this " +
                $"CPU ({Convolution2d.KernelFailure}): " +
                "convolutions run as GEMMs over unfolded inputs; the same results, slower (see the README, Exactness)");
        }
        var type = settings.GetType();
        string? Value(string name) => type.GetProperty(name)?.GetValue(settings) as string;
        foreach (var (prop, option) in InputFiles)
            if (Value(prop) is { Length: > 0 } f && !File.Exists(f))
                throw new ImcInputException(Directory.Exists(f) ? $"{option} {f}: is a directory: expected a file"
                    : $"{option} {f}: file not found");
        foreach (var name in FileOptions)
            if (Value(name) is { Length: > 0 } f) WritableFile(f, name == "OutputFile" ? "--out" : "--" + Kebab(name));
        foreach (var name in DirectoryOptions)
            if (Value(name) is { Length: > 0 } d) WritableDirectory(d, "--" + Kebab(name));
        if (settings is Commands.ImcSettings declared) CommandFiles.Check(declared.Files());
    }

    public void InterceptResult(CommandContext context, CommandSettings settings, ref int result) { }

    static string Kebab(string name) => IO.Json.Name(name);

    /// <summary>
    /// The file can be created (or replaced) where it is named: not a directory, its folder creatable and writable.
    /// </summary>
    public static void WritableFile(string path, string option)
    {
        if (Directory.Exists(path)) throw new ImcInputException(
            $"{option} {path}: is a directory: expected a file name");
        var dir = Path.GetDirectoryName(Path.GetFullPath(path))!;
        Probe(dir, path, option);
    }

    public static void WritableDirectory(string dir, string option)
    {
        if (File.Exists(dir)) throw new ImcInputException($"{option} {dir}: is a file: expected a directory");
        Probe(Path.GetFullPath(dir), dir, option);
    }

    static void Probe(string dir, string named, string option)
    {
        try
        {
            Directory.CreateDirectory(dir);
            var probe = Path.Combine(dir, $".imc-write-probe-{Environment.ProcessId}");
            File.WriteAllBytes(probe, Array.Empty<byte>());
            File.Delete(probe);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ImcInputException($"{option} {named}: cannot write there ({e.Message})");
        }
    }
}
