// Torch's global generator and thread pool are process-wide: run tests one at a time so that
// seeded results are reproducible and timings do not interfere.
[assembly: CollectionBehavior(DisableTestParallelization = true)]

namespace ImcSharp.Tests
{
    static class TestHost
    {
        // The CLI's one-line warning about convolution kernels (on a CPU where libtorch's fail the
        // self-check) would land in whichever CLI test runs first, whose stderr must be one error line.
        [System.Runtime.CompilerServices.ModuleInitializer]
        internal static void Start() => ImcSharp.Cli.OutputCheck.WarnAboutConvolutionKernels = false;
    }
}
