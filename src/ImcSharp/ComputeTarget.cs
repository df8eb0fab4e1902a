using TorchSharp;
using static TorchSharp.torch;

namespace ImcSharp;

/// <summary>
/// Where a programmed chip computes: the device its tensors live on, and whether ImcSharp's CPU
/// kernels (the one-pass threshold grid, the fused read-noise stream) may run. Without them, or on
/// another device, the same model runs on generic tensor operations (sorted search, the noise
/// drawn from the same stream and added) and gives the same numbers. Chips are always programmed
/// on the CPU, from CPU generators, then moved: the same seed gives the same chip on any device.
/// </summary>
public sealed record ComputeTarget(Device Device, bool Kernels = true)
{
    /// <summary>The CPU, with ImcSharp's kernels where a stage has one (the fused implementations).</summary>
    public static ComputeTarget Cpu { get; } = new(CPU);

    /// <summary>The CPU with every stage's reference implementation: torch's operations, the same numbers.</summary>
    public static ComputeTarget Reference { get; } = new(CPU, Kernels: false);

    /// <summary>The device a model computes on: its parameters' (the CPU for a model without any).</summary>
    public static Device Of(nn.Module model) => model.parameters().FirstOrDefault()?.device ?? CPU;

    /// <summary><paramref name="t"/> on <paramref name="device"/>: itself when it is there already.</summary>
    public static Tensor On(Tensor t, Device device) => t.device == device ? t : t.to(device);

    /// <summary>The CPU kernels run: a CPU device with kernels allowed.</summary>
    public bool UsesKernels => Kernels && Device.type == DeviceType.CPU;

    /// <summary>
    /// The device named by <paramref name="name"/> ("cpu", "cuda", "cuda:1"), checked against what
    /// this process's TorchSharp can use.
    /// </summary>
    public static Device Parse(string name)
    {
        var n = name.Trim().ToLowerInvariant();
        if (n == "cpu") return CPU;
        if (n == "cuda" || n.StartsWith("cuda:"))
        {
            if (!cuda.is_available())
                throw new ImcInputException("device", name,
                    "CUDA is not available to TorchSharp here: ImcSharp ships with TorchSharp-cpu; to run on a GPU, " +
                        "reference the TorchSharp CUDA package of the same version (TorchSharp-cuda-linux or " +
                        "TorchSharp-cuda-windows) in place of TorchSharp-cpu, on a machine with an NVIDIA driver");
            var device = new Device(n);
            if (device.index >= cuda.device_count())
                throw new ImcInputException("device", name,
                    $"expected a CUDA device index below {cuda.device_count()}");
            return device;
        }
        throw new ImcInputException("device", name, "expected cpu, cuda or cuda:N");
    }
}
