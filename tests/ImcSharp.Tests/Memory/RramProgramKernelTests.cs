using ImcSharp.Config;
using ImcSharp.Memory;
using static TorchSharp.torch;

namespace ImcSharp.Tests.Memory;

/// <summary>RRAM programming in one pass (<see cref="RramProgramKernel"/>) gives torch's operations' cells bit for bit.</summary>
public class RramProgramKernelTests
{
    public static IEnumerable<object[]> Cells()
    {
        // Programming noise and read noise (the CCO designs); with stuck cells (PUMA-style, rates raised so many are drawn); noiseless.
        yield return new object[] { Repo.Path("experiments/hw/current-rram-cco.json"), 0.0 };
        yield return new object[] { Repo.Path("configs/puma-reference.json"), 0.05 };
        yield return new object[] { Repo.Path("experiments/hw/current-rram-cco.json"), -1.0 };
    }

    [Theory]
    [MemberData(nameof(Cells))]
    public void TheKernelGivesTorchsCells(string design, double stuckRate)
    {
        using var scope = NewDisposeScope();
        var cell = HardwareConfig.Load(design).Cell;
        if (stuckRate > 0) cell = cell with { StuckOnRate = stuckRate, StuckOffRate = stuckRate };
        if (stuckRate < 0) cell = cell with { ProgrammingSigma = 0, ProgrammingSigmaAtGmin = 0, ReadNoise = 0 };
        var digits = randint(0, 4, new long[] { 3, 70, 37 }, generator: new Generator(4)).to_type(ScalarType.Float32);   // a tail past the vectors
        var rram = CellTechnology.Of(cell);
        var fused = rram.ProgramFused(cell, 4, digits, new Generator(9));
        // Without 256-bit vectors (CI's capped run) the kernel declines and the dispatcher gives the reference form.
        if (fused is null) Assert.False(System.Runtime.Intrinsics.Vector256.IsHardwareAccelerated, "the kernel declined contiguous CPU digits");
        var withKernel = fused ?? CellModels.Program(cell, 4, digits, new Generator(9), ComputeTarget.Cpu);
        var byTorch = rram.Program(cell, 4, digits, new Generator(9));
        Assert.True(TensorAssert.Same(withKernel.Contribution, byTorch.Contribution));
        Assert.True(TensorAssert.Same(withKernel.Conductance!, byTorch.Conductance!));
        Assert.Equal(byTorch.ReadSigma is null, withKernel.ReadSigma is null);
        if (byTorch.ReadSigma is { } read) Assert.True(TensorAssert.Same(withKernel.ReadSigma!, read));
        Assert.Equal(byTorch.Baseline, withKernel.Baseline);
        // Real draws: noisy cells leave their levels; stuck ones sit at G_max or G_min.
        var off = withKernel.Contribution.sub(digits).abs();
        if (stuckRate >= 0) Assert.True(off.gt(1e-4).any().item<bool>());
        else Assert.True(off.max().item<float>() < 1e-4);
        if (stuckRate > 0) Assert.True(withKernel.Conductance!.eq((float)cell.GMax).logical_and(digits.lt(3)).any().item<bool>());
    }

    /// <summary>
    /// Digits in another layout (a transpose): torch draws in logical order, so the fused form
    /// declines them (drawing nothing) and the dispatcher gives torch's cells.
    /// </summary>
    [Fact]
    public void DigitsNotContiguousGiveTorchsCellsToo()
    {
        using var scope = NewDisposeScope();
        var cell = HardwareConfig.Load(Repo.Path("experiments/hw/current-rram-cco.json")).Cell;
        var digits = randint(0, 4, new long[] { 70, 37 }, generator: new Generator(4)).to_type(ScalarType.Float32).t();
        var rram = CellTechnology.Of(cell);
        Assert.Null(rram.ProgramFused(cell, 4, digits, new Generator(9)));
        var dispatched = CellModels.Program(cell, 4, digits, new Generator(9), ComputeTarget.Cpu);
        var byTorch = rram.Program(cell, 4, digits, new Generator(9));
        Assert.True(TensorAssert.Same(dispatched.Contribution, byTorch.Contribution));
    }
}
