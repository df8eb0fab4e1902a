using ImcSharp.Cli.Commands;

namespace ImcSharp.Tests.Cli;

/// <summary>`imc train --time T`: the aware design's cells are read T after programming, nothing else changes.</summary>
public class TrainTimeTests
{
    [Fact]
    public void TheTrainingDesignIsReadAtTheGivenTime()
    {
        var hw = Path.Combine(Repo.Root, "experiments/hw/current-rram-cco-realistic.json");
        var atOneYear = new TrainSettings { Hardware = hw, Time = "1y" }.ToAware()!.Hardware;
        var asProgrammed = new TrainSettings { Hardware = hw }.ToAware()!.Hardware;
        Assert.Equal(31_557_600, atOneYear.Cell.ReadTime);
        Assert.Null(asProgrammed.Cell.ReadTime);
        Assert.Equal(asProgrammed.Cell with { ReadTime = 31_557_600 }, atOneYear.Cell);
        Assert.Equal((asProgrammed with { Cell = atOneYear.Cell }).Fingerprint(), atOneYear.Fingerprint());
        Assert.NotEqual(asProgrammed.Fingerprint(), atOneYear.Fingerprint());
    }
}
