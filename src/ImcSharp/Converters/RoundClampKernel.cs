using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using TorchSharp;
using static TorchSharp.torch;

namespace ImcSharp.Converters;

/// <summary>
/// The ideal ADC's conversion in one pass over contiguous float32 sums in place:
///   code = min(max(floor(x + 0.5), lo), hi)   (x in LSBs, round half up, clipped to the code range),
/// the same IEEE float32 operations, in the same order, as torch's add_(0.5), floor_() and
/// clamp_(lo, hi), which take three passes; so it gives the same codes bit for bit
/// (<c>Nn/ComputeTargetTests</c>). Rows split over libtorch's OpenMP team (<see cref="TorchThreads"/>).
/// </summary>
internal static unsafe class RoundClampKernel
{
    const long PerTask = 1 << 16;

    /// <summary>Whether <paramref name="x"/> can be converted here (CPU, contiguous float32, AVX).</summary>
    public static bool Applies(Tensor x) =>
        Vector256.IsHardwareAccelerated && x.device_type == DeviceType.CPU && x.dtype == ScalarType.Float32 && x.is_contiguous();

    public static Tensor ConvertInPlace(Tensor x, float lo, float hi)
    {
        long n = x.numel();
        if (n == 0) return x;
        nint data = (nint)NativeData.Pointer(x);
        long tasks = (n + PerTask - 1) / PerTask;
        int threads = Math.Max(1, Math.Min(get_num_threads(), (int)Math.Min(int.MaxValue, tasks)));
        void Task(long k)
        {
            long start = k * PerTask;
            Run((float*)data + start, (int)Math.Min(PerTask, n - start), lo, hi);
        }
        TorchThreads.For(tasks, threads, Task);
        return x;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    static void Run(float* x, int n, float lo, float hi)
    {
        var half = Vector256.Create(0.5f);
        var low = Vector256.Create(lo);
        var high = Vector256.Create(hi);
        int i = 0;
        for (; i + 8 <= n; i += 8)
        {
            var v = Vector256.Floor(Vector256.Load(x + i) + half);
            Vector256.Min(Vector256.Max(v, low), high).Store(x + i);
        }
        for (; i < n; i++) x[i] = MathF.Min(MathF.Max(MathF.Floor(x[i] + 0.5f), lo), hi);
    }
}
