using System.Runtime.InteropServices;

namespace ImcSharp.Cli;

/// <summary>
/// A file a command reads (an input) or writes (an output), with the option or argument that names it.
/// </summary>
public sealed record FileUse(string Path, string Option, bool Output)
{
    public static FileUse? In(string? path, string option) =>
        string.IsNullOrEmpty(path) ? null : new(path, option, false);
    public static FileUse? Out(string? path, string option) =>
        string.IsNullOrEmpty(path) ? null : new(path, option, true);
}

/// <summary>
/// The rule for the files a command declares (<see cref="Commands.ImcSettings.Files"/>), applied
/// before it runs (<see cref="OutputCheck"/>): no output may be one of its inputs, nor another
/// output, not even the same file through a symbolic or hard link. A command that wrote its
/// result over its model, spec or config would destroy what the user had.
/// </summary>
public static class CommandFiles
{
    public static void Check(IEnumerable<FileUse?> declared)
    {
        var files = declared.OfType<FileUse>().ToList();
        var outputs = files.Where(f => f.Output).ToList();
        foreach (var o in outputs)
            foreach (var i in files.Where(f => !f.Output))
                if (SameFile(o.Path, i.Path))
                    throw new ImcInputException(
                        $"{o.Option} {o.Path}: is the input {i.Option} ({i.Path}): writing it would replace that " +
                        "file; name another output");
        for (int a = 0; a < outputs.Count; a++)
            for (int b = a + 1; b < outputs.Count; b++)
                if (SameFile(outputs[a].Path, outputs[b].Path))
                    throw new ImcInputException(
                        $"{outputs[a].Option} {outputs[a].Path} and {outputs[b].Option} {outputs[b].Path}: are the " +
                        "same file: each output needs its own");
    }

    /// <summary>
    /// Whether two paths name one file: the same full path, or (both existing) the same device and inode, which a link
    /// shares.
    /// </summary>
    public static bool SameFile(string a, string b)
    {
        string fa = Resolve(a), fb = Resolve(b);
        if (string.Equals(fa, fb, OperatingSystem.IsWindows() ? StringComparison.OrdinalIgnoreCase
            : StringComparison.Ordinal)) return true;
        return File.Exists(fa) && File.Exists(fb) && Identity(fa) is { } ia && Identity(fb) is { } ib && ia == ib;
    }

    /// <summary>The full path, with a symbolic link at its end followed to its final target.</summary>
    static string Resolve(string path)
    {
        var full = System.IO.Path.GetFullPath(path);
        try { return new FileInfo(full).ResolveLinkTarget(returnFinalTarget: true)?.FullName ?? full; }
        catch (IOException) { return full; }
    }

    /// <summary>
    /// (st_dev, st_ino) of a file, from stat(2) (Linux: the first two 64-bit fields on x86-64 and arm64); null where
    /// unavailable.
    /// </summary>
    static (ulong Device, ulong Inode)? Identity(string path)
    {
        if (!OperatingSystem.IsLinux()) return null;
        try
        {
            var buffer = new byte[256];
            if (Stat(path, buffer) != 0) return null;
            return (BitConverter.ToUInt64(buffer, 0), BitConverter.ToUInt64(buffer, 8));
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            return null;
        }
    }

    [DllImport("libc", EntryPoint = "stat", SetLastError = true)]
    static extern int Stat(string path, [Out] byte[] buffer);
}
