using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace ImcSharp;

/// <summary>
/// Process-wide settings of the native runtime under libtorch, made when this library loads.
/// Best-effort: only on Linux/glibc, silently skipped elsewhere.
/// libtorch allocates tensors with glibc malloc. By default glibc returns freed memory above its
/// trim threshold to the kernel, so the next batch's tensors fault every page in again; on a VM
/// that costs more than the arithmetic. Keeping freed memory in the heap (no trimming) and
/// serving allocations up to 32 MB from it makes chunked simulation run at memory speed.
/// IMC_MALLOC_TUNING=0 keeps glibc's defaults.
/// </summary>
internal static class NativeRuntime
{
    const int M_TRIM_THRESHOLD = -1, M_MMAP_THRESHOLD = -3;

    [DllImport("libc", EntryPoint = "mallopt")]
    static extern int Mallopt(int param, int value);

    // A library initializer on purpose: every host (CLI, tests, a user's program) gets the settings.
#pragma warning disable CA2255
    [ModuleInitializer]
#pragma warning restore CA2255
    internal static void Tune()
    {
        if (!OperatingSystem.IsLinux() || Environment.GetEnvironmentVariable("IMC_MALLOC_TUNING") == "0") return;
        try
        {
            Mallopt(M_TRIM_THRESHOLD, int.MaxValue);
            Mallopt(M_MMAP_THRESHOLD, 32 << 20);   // glibc's maximum on 64-bit
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            // Not glibc: keep the allocator's defaults.
        }
    }
}
