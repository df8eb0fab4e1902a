using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace ImcSharp;

/// <summary>
/// Runs a parallel loop of our own native-memory kernels on libtorch's OpenMP thread team.
/// Why: after each parallel torch op, libtorch's OpenMP workers spin-wait for the next one
/// (milliseconds by default). A kernel on .NET threads between two torch ops then shares the
/// cores with those spinners (the threshold-table ADC of a bit-serial MLP ran 1.5x slower);
/// making the workers sleep instead (OMP_WAIT_POLICY=PASSIVE) slows torch's own small ops up to
/// 5x. Handing the loop to the spinning team itself (GOMP_parallel of the libgomp that libtorch
/// loaded) costs neither. Falls back to <see cref="Parallel.For(long, long, ParallelOptions, Action{long})"/>
/// where that library is not found (other platforms or builds).
/// </summary>
internal static unsafe class TorchThreads
{
    static readonly delegate* unmanaged<delegate* unmanaged<nint, void>, nint, uint, uint, void> GompParallel;

    /// <summary>True when loops run on libtorch's OpenMP team.</summary>
    public static bool OnTorchTeam { get; }

    static TorchThreads()
    {
        if (!OperatingSystem.IsLinux() || Environment.GetEnvironmentVariable("IMC_TORCH_THREADS") == "0") return;
        TorchSharp.torch.get_num_threads();   // loads libtorch, and with it its OpenMP runtime
        // The OpenMP runtime libtorch actually loaded, read from this process's mappings: a dlopen
        // of that exact file returns the loaded instance (never a second runtime from elsewhere).
        foreach (var file in LoadedOpenMpRuntimes())
        {
            if (!NativeLibrary.TryLoad(file, out var lib)) continue;
            if (NativeLibrary.TryGetExport(lib, "GOMP_parallel", out var parallel))
            {
                GompParallel = (delegate* unmanaged<delegate* unmanaged<nint, void>, nint, uint, uint, void>)parallel;
                OnTorchTeam = true;
                return;
            }
        }
    }

    /// <summary>Paths of the GNU OpenMP libraries mapped into this process (/proc/self/maps), in load order.</summary>
    internal static IReadOnlyList<string> LoadedOpenMpRuntimes()
    {
        try
        {
            return File.ReadLines("/proc/self/maps")
                .Select(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries))
                .Where(f => f.Length >= 6 && Path.GetFileName(f[5]).StartsWith("libgomp", StringComparison.Ordinal))
                .Select(f => f[5]).Distinct().ToList();
        }
        catch (IOException) { return Array.Empty<string>(); }
        catch (UnauthorizedAccessException) { return Array.Empty<string>(); }
    }

    sealed class Loop(long count, Action<long> body)
    {
        long _next = -1;
        public readonly long Count = count;
        public readonly Action<long> Body = body;
        public long Next() => Interlocked.Increment(ref _next);
        public Exception? Error;
    }

    /// <summary>
    /// Runs <paramref name="body"/>(k) for k = 0 .. <paramref name="count"/> - 1 on at most
    /// <paramref name="threads"/> threads (the caller included), handing out indices one at a time.
    /// </summary>
    public static void For(long count, int threads, Action<long> body)
    {
        if (count <= 0) return;
        if (threads <= 1 || count == 1)
        {
            for (long k = 0; k < count; k++) body(k);
            return;
        }
        if (!OnTorchTeam)
        {
            Parallel.For(0L, count, new ParallelOptions { MaxDegreeOfParallelism = threads }, body);
            return;
        }
        var loop = new Loop(count, body);
        var handle = GCHandle.Alloc(loop);
        try
        {
            GompParallel(&Member, GCHandle.ToIntPtr(handle), (uint)Math.Min(threads, count), 0);
        }
        finally
        {
            handle.Free();
        }
        if (loop.Error is { } e) throw new AggregateException(e);
    }

    [UnmanagedCallersOnly]
    static void Member(nint state)
    {
        // Exceptions must not cross the native frames: the first one is kept and rethrown by For.
        var loop = (Loop)GCHandle.FromIntPtr(state).Target!;
        try
        {
            for (long k = loop.Next(); k < loop.Count && loop.Error is null; k = loop.Next()) loop.Body(k);
        }
        catch (Exception e)
        {
            Interlocked.CompareExchange(ref loop.Error, e, null);
        }
    }
}
