using ImcSharp.Experiments;

namespace ImcSharp.Tests.Experiments;

public class ApproxAdcSpecTests
{
    static ApproxAdcSpec Spec() => new()
    {
        Models = { new ExperimentModel { Model = "lenet5" }, new ExperimentModel { Model = "resnet20", Chips = 3 } },
        ArrayModes = { new ExperimentArray { Name = "current" }, new ExperimentArray { Name = "charge" } },
        AdcBits = new() { 6, 7 },
        Chips = 20,
        LowerResolutionChips = 10,
        Seeds = { 7, 8 },
        VariationStudy = true,
    };

    [Fact]
    public void ChipsFollowTheResolutionUnlessTheModelSetsThem()
    {
        var s = Spec();
        Assert.Equal(10, s.ChipsAt(s.Models[0], 6));
        Assert.Equal(20, s.ChipsAt(s.Models[0], 7));
        Assert.Equal(3, s.ChipsAt(s.Models[1], 6));
    }

    [Fact]
    public void ChipEvaluationsCountSevenSetsPerCellAndTheVariationStudyOnce()
    {
        var s = Spec();
        // 2 modes x 2 seeds x 7 sets x (10 + 20 chips), plus the study: 2 modes x 10 chips (first seed, first resolution).
        Assert.Equal(2 * 2 * 7 * (10 + 20) + 2 * 10, s.ChipEvaluations(s.Models[0]));
        Assert.Equal(2 * 2 * 7 * (3 + 3) + 2 * 3, s.ChipEvaluations(s.Models[1]));
        Assert.Equal(2 * 2 * 7 * 30, (s with { VariationStudy = false }).ChipEvaluations(s.Models[0]));
    }

    [Fact]
    public void TheQuickSubsetKeepsItsModelsModesAndChips()
    {
        var s = Spec() with { Quick = new QuickSubset { AdcBits = new() { 7 }, Chips = 4, ArrayModes = new() { "charge" } } };
        s = s with { Quick = s.Quick with { Models = new() { "resnet20" } } };
        var q = s.QuickSubset();
        Assert.Equal(new[] { "resnet20" }, q.Models.Select(m => m.Model));
        Assert.Null(q.Models[0].Chips);
        Assert.Equal(new[] { "charge" }, q.ArrayModes.Select(a => a.Name));
        Assert.Equal(new[] { 7 }, q.AdcBits);
        Assert.Equal(4, q.ChipsAt(q.Models[0], 7));
        Assert.Equal(4, q.Corners);
    }
}
