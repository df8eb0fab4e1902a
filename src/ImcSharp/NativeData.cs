using System.Runtime.InteropServices;
using TorchSharp;
using static TorchSharp.torch;

namespace ImcSharp;

/// <summary>
/// The address of a CPU tensor's first element, for the kernels that walk native memory. Taken
/// from libtorch itself (THSTensor_data), not from a span: spans stop at 2 GB and tensors do not.
/// Native memory does not move, so the address stays valid while the tensor lives.
/// </summary>
internal static unsafe class NativeData
{
    [DllImport("LibTorchSharp")]
    static extern nint THSTensor_data(nint handle);

    public static nint Address(Tensor t) => (nint)Pointer(t);

    /// <param name="dense">Accept any gapless layout (<see cref="DenseKernel.IsDense"/>), not only the contiguous
    /// one.</param>
    public static void* Pointer(Tensor t, bool dense = false)
    {
        if (t.device_type != DeviceType.CPU) throw new ArgumentException(
            $"native data: expected a CPU tensor, got one on {t.device}");
        if (dense ? !DenseKernel.IsDense(t.Sizes(), t.Strides()) : !t.is_contiguous())
            throw new ArgumentException($"native data: expected a {(dense ? "dense" : "contiguous")} tensor");
        var p = THSTensor_data(t.Handle);
        if (p == 0 && t.numel() > 0) throw new InvalidOperationException(
            "native data: libtorch returned no data pointer");
        return (void*)p;
    }
}
