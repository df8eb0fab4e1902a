using ImcSharp.Config;
using ImcSharp.Models;
using ImcSharp.Nn;
using TorchSharp;
using static TorchSharp.torch;

namespace ImcSharp.Tests.Nn;

/// <summary>The generic tensor path (what another device runs) gives the CPU kernels' numbers.</summary>
public class ComputeTargetTests
{
    public static IEnumerable<object[]> Designs()
    {
        // Read noise and digital subtraction (CCO grid); column offsets (SAR); bit-serial inputs; temporal ADC noise.
        yield return new object[] { "experiments/hw/current-rram-cco-realistic.json", 0.0 };
        yield return new object[] { "experiments/hw/charge-cap-sar-realistic.json", 0.0 };
        yield return new object[] { "configs/puma-reference.json", 0.0 };
        yield return new object[] { "experiments/hw/current-rram-cco.json", 0.4 };
    }

    [Theory]
    [MemberData(nameof(Designs))]
    public void WholeNetworksGiveTheSameOutputsWithoutTheKernels(string design, double adcNoise)
    {
        using var scope = NewDisposeScope();
        var hw = HardwareConfig.Load(Repo.Path(design));
        if (adcNoise > 0) hw = hw with { Adc = hw.Adc with { Variation = hw.Adc.Variation with { NoiseSigma = adcNoise } } };
        var x = randn(new long[] { 48, 1, 28, 28 }, generator: new Generator(3));
        var outputs = new Tensor[2];
        for (int k = 0; k < 2; k++)
        {
            manual_seed(1);
            using var model = new ModelSpec("lenet5", 1, 28, 28, 10).Build();
            AnalogConversion.Convert(model, hw);
            var layers = AnalogConversion.Layers(model);
            foreach (var l in layers) l.CpuKernels = k == 0;
            AnalogConversion.CalibrateInputs(model, x);
            AnalogConversion.Program(model, 4);
            model.eval();
            using (no_grad()) outputs[k] = model.call(x).MoveToOuterDisposeScope();
            Assert.All(layers.Where(l => l.Execution == Execution.Analog), l => Assert.Equal(k == 0, l.Chip!.Target.UsesKernels));
        }
        Assert.True(TensorAssert.Same(outputs[0], outputs[1]), $"{design}: generic path differs from the kernels by {(outputs[0] - outputs[1]).abs().max().item<float>()}");
    }

    [Fact]
    public void AnUnavailableDeviceIsOneClearError()
    {
        if (cuda.is_available()) return;   // a CUDA build of TorchSharp: nothing to refuse
        var e = Assert.Throws<ImcInputException>(() => ComputeTarget.Parse("cuda"));
        Assert.Contains("TorchSharp-cpu", e.Message);
        Assert.Equal("device", e.Setting);
        Assert.Throws<ImcInputException>(() => ComputeTarget.Parse("tpu"));
        Assert.Equal(DeviceType.CPU, ComputeTarget.Parse("CPU").type);
    }
}
