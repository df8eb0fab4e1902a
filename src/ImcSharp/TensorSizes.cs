using static TorchSharp.torch;

namespace ImcSharp;

/// <summary>
/// A tensor's sizes and strides read one dimension at a time. TorchSharp (0.107) returns
/// <c>shape</c> and <c>stride()</c> in a pinned buffer it frees only in a finalizer: a LeNet-5
/// aware step read them a few hundred times, and their finalizers (with the scalars TorchSharp
/// makes of numbers) were most of its garbage collection's cost. The same values, as plain arrays.
/// </summary>
internal static class TensorSizes
{
    public static long[] Sizes(this Tensor t)
    {
        var sizes = new long[t.dim()];
        for (int d = 0; d < sizes.Length; d++) sizes[d] = t.size(d);
        return sizes;
    }

    public static long[] Strides(this Tensor t)
    {
        var strides = new long[t.dim()];
        for (int d = 0; d < strides.Length; d++) strides[d] = t.stride(d);
        return strides;
    }
}
