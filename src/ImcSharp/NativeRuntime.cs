using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace ImcSharp;

/// <summary>
/// Process-wide settings of the native runtime under libtorch, opted into by the host (the `imc`
/// CLI and the benchmarks call <see cref="TuneAllocator"/> at start; a library user may too).
/// Best-effort: only on Linux/glibc, silently skipped elsewhere.
/// libtorch allocates tensors with glibc malloc. By default glibc returns freed memory above its
/// trim threshold to the kernel, so the next batch's tensors fault every page in again; on a VM
/// that costs more than the arithmetic. Keeping freed memory in the heap (no trimming) and
/// serving allocations up to 32 MB from it makes chunked simulation run at memory speed; the
/// price is that resident memory does not shrink after a peak, which a long-lived host embedding
/// the library may not want: hence opt-in. IMC_MALLOC_TUNING=0 keeps glibc's defaults.
/// </summary>
public static class NativeRuntime
{
    const int M_TRIM_THRESHOLD = -1, M_MMAP_THRESHOLD = -3;

    [DllImport("libc", EntryPoint = "mallopt")]
    static extern int Mallopt(int param, int value);

    [DllImport("libc", EntryPoint = "malloc_trim")]
    static extern int MallocTrim(nuint pad);

    [DllImport("libc", EntryPoint = "setenv")]
    static extern int SetEnv(string name, string value, int overwrite);

    /// <summary>
    /// libgomp's busy-wait before a worker sleeps, in spins, unless GOMP_SPINCOUNT is set: its
    /// default (300,000, about a millisecond) keeps idle workers spinning between torch ops, which
    /// is fast alone but starves other processes on the same cores; 0 (OMP_WAIT_POLICY=PASSIVE) made
    /// small ops up to 5x slower. 2,000 spins: one `imc eval` alone as fast as with the default, two
    /// side by side on 2 cores 1.26x the throughput of one alone (0.17-0.24x with the default);
    /// see the README (Threads).
    /// </summary>
    public const string DefaultSpinCount = "2000";

    /// <summary>
    /// OpenMP settings for libtorch, before it loads: a bounded spin (<see cref="DefaultSpinCount"/>,
    /// unless GOMP_SPINCOUNT or OMP_WAIT_POLICY is set) and, once loaded, <paramref name="threads"/>
    /// threads (default: <see cref="Environment.ProcessorCount"/>, the CPUs this process may use,
    /// which .NET reads from its affinity mask and cgroup CPU limit; more is an error). Returns the thread count.
    /// </summary>
    public static int ConfigureThreads(int? threads = null)
    {
        if (threads is < 1) throw new ImcInputException("threads", threads, "expected an integer >= 1");
        // More threads than CPUs only time-share them: 1,000 on 2 CPUs ran 18x slower.
        if (threads > Environment.ProcessorCount)
            throw new ImcInputException("threads", threads,
                $"expected at most {Environment.ProcessorCount}, the CPUs this process may use");
        if (OperatingSystem.IsLinux() && Environment.GetEnvironmentVariable("GOMP_SPINCOUNT") is null
            && Environment.GetEnvironmentVariable("OMP_WAIT_POLICY") is null)
        {
            // libgomp reads the native environment when libtorch loads it: set it there, not only in .NET's copy.
            try { SetEnv("GOMP_SPINCOUNT", DefaultSpinCount,
                0); } catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException) { }
        }
        int n = threads ?? Environment.ProcessorCount;
        TorchSharp.torch.set_num_threads(n);
        return n;
    }

    /// <summary>
    /// Frees libtorch's oneDNN convolution primitives after each use (ONEDNN_PRIMITIVE_CACHE_CAPACITY=0,
    /// unless that is set), before libtorch loads: a little less peak memory in a many-slice
    /// bit-serial evaluation (LeNet-5 on configs/puma-reference.json, 10,000 images: 0.47-0.49 GB
    /// against 0.51-0.59 GB), at a cost in speed where convolutions dominate (float ResNet-20
    /// inference 46% slower, analog 20%; see the README). Returns whether it applied.
    /// </summary>
    public static bool ReleaseConvolutionPrimitives()
    {
        if (!OperatingSystem.IsLinux()
            || Environment.GetEnvironmentVariable("ONEDNN_PRIMITIVE_CACHE_CAPACITY") is not null) return false;
        // oneDNN reads the native environment when it first builds a primitive: set it there, not only in .NET's copy.
        try { return SetEnv("ONEDNN_PRIMITIVE_CACHE_CAPACITY", "0", 0) == 0; }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException) { return false; }
    }

    static long _lastCollection = System.Diagnostics.Stopwatch.GetTimestamp();

    /// <summary>
    /// At most every <see cref="CollectionInterval"/>: a full garbage collection and its finalizers.
    /// TorchSharp (0.107) frees the scalar it makes of every number passed to a tensor operation
    /// (x.mul(2.0), clamp(lo, hi), ...) only in a finalizer; the GC never runs for them, as they are
    /// small on the managed heap, and they live in glibc's heap between the large tensors of one
    /// chunk and the next, splitting the free space so the heap grows chunk after chunk: a
    /// bit-serial LeNet-5 chip on 10,000 images peaked at 2.2 GB, ResNet-20's calibration and one
    /// chip on 1,000 images at 5.4 GB; with a collection at most every 200 ms in the batch and
    /// chunk loops, 0.51-0.59 GB and 1.08 GB, and no slower. Called by evaluation and training per
    /// batch and by the analog layers per chunk; a timestamp check when it is not due.
    /// </summary>
    public static void CollectFinalizable()
    {
        long now = System.Diagnostics.Stopwatch.GetTimestamp();
        if (System.Diagnostics.Stopwatch.GetElapsedTime(_lastCollection, now) < CollectionInterval) return;
        GC.Collect();
        GC.WaitForPendingFinalizers();
        _lastCollection = System.Diagnostics.Stopwatch.GetTimestamp();
    }

    /// <summary>
    /// The least time between two collections of <see cref="CollectFinalizable"/>: it bounds their cost to a few
    /// percent.
    /// </summary>
    public static TimeSpan CollectionInterval { get; set; } = TimeSpan.FromMilliseconds(200);

    /// <summary>
    /// Gives glibc's free heap pages back to the system (malloc_trim), after a one-off pass whose
    /// temporaries are not the ones that follow: calibrating ResNet-20's ranges on 1,000 images
    /// leaves about 2.5 GB free but resident, which the chips' passes would not reuse.
    /// Best-effort: only on Linux/glibc.
    /// </summary>
    public static void ReturnFreeHeap()
    {
        if (!OperatingSystem.IsLinux()) return;
        try { MallocTrim(0); } catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException) { }
    }

    /// <summary>True once <see cref="TuneAllocator"/> has applied the settings.</summary>
    public static bool AllocatorTuned { get; private set; }

    /// <summary>Keeps freed memory in glibc's heap (see the class comment); returns whether it applied.</summary>
    public static bool TuneAllocator()
    {
        if (AllocatorTuned) return true;
        if (!OperatingSystem.IsLinux() || Environment.GetEnvironmentVariable("IMC_MALLOC_TUNING") == "0") return false;
        try
        {
            Mallopt(M_TRIM_THRESHOLD, int.MaxValue);
            Mallopt(M_MMAP_THRESHOLD, 32 << 20);   // glibc's maximum on 64-bit
            return AllocatorTuned = true;
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            return false;   // not glibc: keep the allocator's defaults
        }
    }
}
