using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using TorchSharp;
using static TorchSharp.torch;

namespace ImcSharp;

/// <summary>
/// Elementwise one-pass kernels over dense float32 CPU tensors, in storage order: any layout
/// whose elements fill one block of memory without gaps or overlap (contiguous, channels-last
/// images, their permutations) is walked as a flat array, so a result made with the input's
/// strides (<see cref="EmptyLike"/>) lines up element for element, as torch's own elementwise
/// operations keep the layout. Blocks of elements are split over libtorch's OpenMP team
/// (<see cref="TorchThreads"/>).
/// </summary>
internal static unsafe class DenseKernel
{
    /// <summary>Elements per task: large enough that handing out a task costs nothing.</summary>
    const long PerTask = 1 << 16;

    /// <summary>Whether a kernel can walk <paramref name="x"/>: CPU, float32, dense, with 256-bit vectors.</summary>
    public static bool Applies(Tensor x) =>
        Vector256.IsHardwareAccelerated && x.device_type == DeviceType.CPU && x.dtype == ScalarType.Float32
            && IsDense(x.Sizes(), x.Strides());

    /// <summary>
    /// Whether strides <paramref name="stride"/> of shape <paramref name="shape"/> place the elements
    /// in one gapless block: sorted by stride (dimensions of size 1 aside), each stride is the
    /// product of the sizes of the dimensions below it.
    /// </summary>
    public static bool IsDense(long[] shape, long[] stride)
    {
        var dims = Enumerable.Range(0, shape.Length).Where(d => shape[d] != 1).OrderBy(d => stride[d]).ToArray();
        long expected = 1;
        foreach (var d in dims)
        {
            if (shape[d] == 0) return true;
            if (stride[d] != expected) return false;
            expected *= shape[d];
        }
        return true;
    }

    /// <summary>An uninitialised tensor with the shape and strides of dense <paramref name="x"/>.</summary>
    public static Tensor EmptyLike(Tensor x) => empty_strided(x.Sizes(), x.Strides(), dtype: x.dtype, device: x.device);

    /// <summary>
    /// Runs <paramref name="block"/>(start, count) over the flat element range [0, n) of the tensors a
    /// kernel walks, in blocks of <see cref="PerTask"/>, on the torch team's threads.
    /// </summary>
    public static void For(long n, Action<long, int> block)
    {
        if (n == 0) return;
        long tasks = (n + PerTask - 1) / PerTask;
        int threads = Math.Max(1, Math.Min(get_num_threads(), (int)Math.Min(int.MaxValue, tasks)));
        TorchThreads.For(tasks, threads, k =>
        {
            long start = k * PerTask;
            block(start, (int)Math.Min(PerTask, n - start));
        });
    }

    /// <summary>
    /// The even and odd elements of the 16 floats at <paramref name="p"/>, (p0, p2, .., p14) and
    /// (p1, p3, .., p15): two slices of eight outputs stored slice-innermost, split for whole-vector
    /// arithmetic. AVX2 (callers check it).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static (Vector256<float> Even, Vector256<float> Odd) Deinterleave(float* p)
    {
        var a = Vector256.Load(p);
        var b = Vector256.Load(p + 8);
        // Per 128-bit half: (a0, a2, b0, b2) then (a4, a6, b4, b6); the 64-bit pairs reordered 0, 2, 1, 3.
        var even = Avx2.Permute4x64(Avx.Shuffle(a, b, 0b10_00_10_00).AsDouble(), 0b11_01_10_00).AsSingle();
        var odd = Avx2.Permute4x64(Avx.Shuffle(a, b, 0b11_01_11_01).AsDouble(), 0b11_01_10_00).AsSingle();
        return (even, odd);
    }

    /// <summary>
    /// The address of the lowest element of dense <paramref name="x"/> (its first: dense strides are positive).
    /// </summary>
    public static float* Data(Tensor x) => (float*)NativeData.Pointer(x, dense: true);
}
