using System.Diagnostics;
using System.Globalization;

namespace ImcSharp.IO;

/// <summary>
/// Marks a directory (or a results file) as being written by one run: a file ".imc-lock" (or
/// "FILE.lock") holding the owner's PID and start time. A second run refuses, naming the holder;
/// a lock whose process is gone (killed, crashed), or whose PID now belongs to another process,
/// is stale and taken over. Re-entrant within a process, so a run may lock a directory that an
/// enclosing run of the same process already holds.
/// </summary>
public sealed class RunLock : IDisposable
{
    static readonly Dictionary<string, int> Held = new(StringComparer.Ordinal);
    readonly string _file;
    bool _released;

    RunLock(string file) => _file = file;

    public const string DirectoryLockName = ".imc-lock";

    /// <summary>Locks <paramref name="dir"/> (created if missing) for this process.</summary>
    public static RunLock Directory(string dir)
    {
        System.IO.Directory.CreateDirectory(dir);
        var held = Acquire(Path.Combine(Path.GetFullPath(dir), DirectoryLockName), dir);
        AtomicFile.RemoveStaleTemporaries(dir);
        return held;
    }

    /// <summary>Locks one file that a run appends to (a results file): "FILE.lock" beside it.</summary>
    public static RunLock File(string path)
    {
        var full = Path.GetFullPath(path);
        var dir = Path.GetDirectoryName(full);
        if (!string.IsNullOrEmpty(dir)) System.IO.Directory.CreateDirectory(dir);
        return Acquire(full + ".lock", path);
    }

    static RunLock Acquire(string lockFile, string what)
    {
        lock (Held)
        {
            if (Held.TryGetValue(lockFile, out var n)) { Held[lockFile] = n + 1; return new RunLock(lockFile); }
            var me = Owner.Current();
            for (int attempt = 0; attempt < 3; attempt++)
            {
                try
                {
                    using (var fs = new FileStream(lockFile, FileMode.CreateNew, FileAccess.Write, FileShare.Read))
                    using (var w = new StreamWriter(fs)) w.Write(me.ToString());
                    Held[lockFile] = 1;
                    return new RunLock(lockFile);
                }
                catch (IOException) when (System.IO.File.Exists(lockFile))
                {
                    var holder = Owner.Read(lockFile);
                    if (holder is { } h && h.IsAlive() && h.Pid != me.Pid)
                        throw new ImcInputException(
                            $"{what}: in use by another run (PID {h.Pid}, since {h.Taken:yyyy-MM-dd HH:mm:ss} UTC); " +
                            "wait for it to finish or choose another output");
                    // Stale: the holder is gone (or it is this process's own leftover). Take it over.
                    try { System.IO.File.Delete(lockFile); } catch (IOException) { }
                }
            }
            throw new ImcInputException($"{what}: could not take the lock {lockFile}");
        }
    }

    public void Dispose()
    {
        if (_released) return;
        _released = true;
        lock (Held)
        {
            if (!Held.TryGetValue(_file, out var n)) return;
            if (n > 1) { Held[_file] = n - 1; return; }
            Held.Remove(_file);
            // Only our own lock is removed: a run that took over a lock we lost keeps it.
            if (Owner.Read(_file) is { } h && h.Pid == Environment.ProcessId) System.IO.File.Delete(_file);
        }
    }

    /// <summary>
    /// A lock holder: PID, the process's start time as the OS reports it (PIDs are reused; the pair is not), and when
    /// the lock was taken.
    /// </summary>
    readonly record struct Owner(int Pid, DateTime Started, DateTime Taken)
    {
        public static Owner Current() =>
            new(Environment.ProcessId, StartTime(Environment.ProcessId) ?? DateTime.UtcNow, DateTime.UtcNow);

        public override string ToString() =>
            $"{Pid} {Started.ToString("o", CultureInfo.InvariantCulture)} " +
            $"{Taken.ToString("o", CultureInfo.InvariantCulture)}\n";

        public static Owner? Read(string file)
        {
            try
            {
                var parts = System.IO.File.ReadAllText(file).Split((char[]?)null,
                    StringSplitOptions.RemoveEmptyEntries);
                if (parts.Length < 2 || !int.TryParse(parts[0], out var pid)
                    || !DateTime.TryParse(parts[1], CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind,
                        out var started)) return null;
                var taken = parts.Length > 2
                    && DateTime.TryParse(parts[2], CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind,
                    out var tk) ? tk : started;
                return new Owner(pid, started.ToUniversalTime(), taken.ToUniversalTime());
            }
            catch (IOException) { return null; }
        }

        /// <summary>
        /// The process still runs and is the one that wrote the lock (same start time, to the second).
        /// </summary>
        public bool IsAlive() => StartTime(Pid) is { } t && Math.Abs((t - Started).TotalSeconds) < 2;

        static DateTime? StartTime(int pid)
        {
            try
            {
                using var p = Process.GetProcessById(pid);
                return p.HasExited ? null : p.StartTime.ToUniversalTime();
            }
            catch (Exception e) when (e is ArgumentException or InvalidOperationException
                                      or System.ComponentModel.Win32Exception or NotSupportedException)
            {
                return null;
            }
        }
    }
}
