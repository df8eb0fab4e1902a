using System.Runtime.InteropServices;
using TorchSharp;
using static TorchSharp.torch;

namespace ImcSharp;

/// <summary>
/// The float 2-D convolution of the library (float and analog layers' float path, the
/// aware-training surrogate):
///   y[b, o, h, w] = sum_c sum_(i,j) w[o, c, i, j] x[b, c, s h + d i - p, s w + d j - p] + bias[o],
/// as libtorch's conv2d, or, where libtorch's convolution kernels fail <see cref="SelfCheck"/>, as
/// one GEMM over the receptive fields (unfold, then the kernel [N, C kh kw] times them; autograd
/// differentiates both, so gradients are GEMMs and a col2im too; without autograd, field rows as the
/// GEMM reads them, see Crossbar.FieldRows).
/// Why: libtorch 2.x (TorchSharp-cpu 0.107) hands float32 convolutions to oneDNN, and on an AMD
/// EPYC (family 26) its kernels return wrong values, not rounding (relative errors of 5-70%),
/// deterministically and at every oneDNN ISA cap from AVX to AVX-512: the NCHW forward with a
/// channel tail above 16 input channels, the 1x1 channels-last forward with an output-channel
/// tail (e.g. 1024 outputs), and the input gradient for most shapes with an output-channel tail.
/// GEMMs (matmul, bmm) are right there. Sums that must be exact never take a convolution kernel:
/// see ConvGeometry.TileSums. The same class turns NNPACK off, once (see <see cref="DisableNnpack"/>).
/// </summary>
public static class Convolution2d
{
    static readonly Lazy<bool> Healthy = new(CheckKernels);

    /// <summary>
    /// Whether libtorch's own convolution kernels passed <see cref="SelfCheck"/> in this process (checked once, on
    /// first use).
    /// </summary>
    public static bool KernelsHealthy => Healthy.Value;

    /// <summary>conv2d(x [B, C, H, W], weight [N, C / groups, kh, kw]) with bias [N] or none.</summary>
    public static Tensor Apply(Tensor x, Tensor weight, Tensor? bias, long[] stride, long[] padding, long[] dilation,
        long groups = 1)
    {
        if (x.device_type != DeviceType.CPU || Healthy.Value)
            return nn.functional.conv2d(x, weight, bias, strides: stride, padding: padding, dilation: dilation,
                groups: groups);
        return Gemm(x, weight, bias, stride, padding, dilation, groups);
    }

    /// <summary>
    /// The convolution as GEMMs over the receptive fields (see the class summary), a block of
    /// samples at a time (ConvGeometry.BlockBytes of receptive fields a block; autograd follows
    /// the blocks, their strided copies and their concatenation).
    /// </summary>
    public static Tensor Gemm(Tensor x, Tensor weight, Tensor? bias, long[] stride, long[] padding, long[] dilation,
        long groups = 1)
    {
        long b = x.size(0), n = weight.size(0), kh = weight.size(2), kw = weight.size(3);
        var conv = new Crossbar.ConvGeometry(x.size(1), kh, kw, stride, padding, dilation);
        // Without autograd: the fields as the rows the GEMM reads, written once (no transposing copies).
        if (groups == 1 && Crossbar.FieldRows.Applies(x)
            && !(is_grad_enabled() && (x.requires_grad || weight.requires_grad || bias?.requires_grad == true)))
        {
            var y = conv.ImagesByGemm(x, weight);
            return bias is null ? y : y.add_(bias.view(1, n, 1, 1));
        }
        var (ho, wo) = conv.Output(x);
        long block = conv.SamplesPerBlock(x, x.size(1));
        var parts = new List<Tensor>();
        for (long s0 = 0; s0 < b; s0 += block)
        {
            long m = Math.Min(block, b - s0);
            var fields = conv.Fields(m == b ? x : x.narrow(0, s0, m));                     // [m, C kh kw, L]
            // Per group: [N/G, C/G kh kw] times [m, G, C/G kh kw, L]: [m, G, N/G, L].
            var y = groups == 1 ? weight.reshape(n, -1).matmul(fields)
                : weight.reshape(groups, n / groups, -1).matmul(fields.view(m, groups, -1, fields.size(2)));
            parts.Add(y.reshape(m, n, ho, wo));
        }
        var images = parts.Count == 1 ? parts[0] : cat(parts, 0);
        return bias is null ? images : images.add(bias.view(1, n, 1, 1));
    }

    /// <summary>
    /// libtorch's conv2d against the float64 convolution on the shape families that failed on an
    /// AMD EPYC (family 26): value, input and weight gradients within float32 rounding (relative
    /// 1e-5). Returns the first failure, or null when all pass.
    /// </summary>
    public static string? SelfCheck()
    {
        using var scope = NewDisposeScope();
        using var g = enable_grad();
        var random = new Generator(1);
        foreach (var (c, n, k, s, channelsLast) in new (long, long, long, long, bool)[]
                 { (20, 6, 3, 1, false), (3, 6, 3, 1, false), (48, 20, 3, 2, false), (16, 1024, 1, 1, true),
                     (6, 16, 5, 1, false) })
        {
            var x = rand(new long[] { 4, c, 10, 10 }, generator: random);
            if (channelsLast) x = x.permute(0, 2, 3, 1).contiguous().permute(0, 3, 1, 2);
            var w = randn(new long[] { n, c, k, k }, generator: random);
            long[] st = { s, s }, p = { k / 2, k / 2 }, d = { 1, 1 };
            var xg = x.detach().requires_grad_(true);
            var wg = w.detach().requires_grad_(true);
            var x64 = x.to_type(ScalarType.Float64).requires_grad_(true);
            var w64 = w.to_type(ScalarType.Float64).requires_grad_(true);
            var y = nn.functional.conv2d(xg, wg, strides: st, padding: p, dilation: d);
            var y64 = nn.functional.conv2d(x64, w64, strides: st, padding: p, dilation: d);
            var grad = randn(y64.Sizes(), ScalarType.Float64, generator: random);
            y.backward(new[] { grad.to_type(ScalarType.Float32) });
            y64.backward(new[] { grad });
            string shape = $"{c} to {n} channels, {k}x{k}, stride {s}{(channelsLast ? ", channels-last" : "")}";
            if (Relative(y.detach(), y64.detach()) > 1e-5) return $"forward ({shape})";
            if (Relative(xg.grad!, x64.grad!) > 1e-5) return $"input gradient ({shape})";
            if (Relative(wg.grad!, w64.grad!) > 1e-5) return $"weight gradient ({shape})";
        }
        return null;
    }

    static double Relative(Tensor a, Tensor reference) =>
        (a.to_type(ScalarType.Float64) - reference).abs().max().item<double>() / reference.abs().max().item<double>();

    /// <summary>
    /// Why libtorch's kernels were not used (the self-check's first failure), or null where they were.
    /// </summary>
    public static string? KernelFailure { get; private set; }

    /// <summary>
    /// Runs <see cref="SelfCheck"/> once (IMC_CONV_KERNELS=gemm skips it for GEMMs, =libtorch for
    /// libtorch's kernels, unchecked). On a failure it
    /// also turns libtorch's oneDNN convolutions off for the process
    /// (at::Context::setUserEnabledMkldnn(false)), so that torch's own Conv2d modules, in a model
    /// the library did not build, fall back to libtorch's reference kernel: right, and slower.
    /// The library prints nothing; the CLI says it once (<see cref="KernelFailure"/>).
    /// </summary>
    static bool CheckKernels()
    {
        DisableNnpack();
        var choice = Environment.GetEnvironmentVariable("IMC_CONV_KERNELS");
        if (choice == "libtorch") return true;          // trusted without the check: benchmarks, CPUs known right
        KernelFailure = choice == "gemm" ? "IMC_CONV_KERNELS=gemm" : SelfCheck();
        if (KernelFailure is null) return true;
        if (SetMkldnn(false)) KernelFailure += "; oneDNN turned off";
        return false;
    }

    /// <summary>
    /// Turns libtorch's NNPACK off (at::globalContext().setUserEnabledNNPACK(false)): on a CPU it
    /// does not know it prints "Could not initialize NNPACK! Reason: Unsupported hardware." for every
    /// convolution it is asked about, and where it does run it may pick Winograd or FFT algorithms,
    /// whose sums are not the exact ones. oneDNN (or libtorch's own kernel) then takes every
    /// convolution, on every CPU. Best-effort: silently skipped where the entry point is missing.
    /// Returns whether it applied.
    /// </summary>
    public static bool DisableNnpack()
    {
        if (_nnpackOff is { } done) return done;
        try
        {
            // TorchSharp loads libtorch first, so the entry points below resolve in that one copy.
            torch.InitializeDeviceType(DeviceType.CPU);
            SetUserEnabledNnpack(GlobalContext(), false);
            _nnpackOff = true;
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException or BadImageFormatException)
        {
            _nnpackOff = false;
        }
        return _nnpackOff.Value;
    }

    static bool? _nnpackOff;

    static bool SetMkldnn(bool enabled)
    {
        try { SetUserEnabledMkldnn(GlobalContext(), enabled); return true; }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException or BadImageFormatException)
        {
            return false;
        }
    }

    // at::globalContext() and at::Context::setUserEnabledNNPACK(bool): C++ entry points of
    // libtorch_cpu (Itanium ABI: the member function takes `this` as its first argument).
    [DllImport("libtorch_cpu", EntryPoint = "_ZN2at13globalContextEv")]
    static extern IntPtr GlobalContext();

    [DllImport("libtorch_cpu", EntryPoint = "_ZN2at7Context20setUserEnabledMkldnnEb")]
    static extern void SetUserEnabledMkldnn(IntPtr context, [MarshalAs(UnmanagedType.U1)] bool enabled);

    [DllImport("libtorch_cpu", EntryPoint = "_ZN2at7Context20setUserEnabledNNPACKEb")]
    static extern void SetUserEnabledNnpack(IntPtr context, [MarshalAs(UnmanagedType.U1)] bool enabled);
}
