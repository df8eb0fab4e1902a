using ImcSharp.Config;
using ImcSharp.Converters;
using ImcSharp.Cost;
using TorchSharp;
using static TorchSharp.torch;

namespace ImcSharp.Tests.Converters;

/// <summary>The architecture added through the plug-in mechanism alone (one file and a config): its equations, its measured linearity, its price.</summary>
public class PipelinedSarTests
{
    static AdcConfig Config(int bits, PipelinedSarParams p) => new AdcConfig { Kind = "pipelined-sar", Bits = bits }.With(p);

    static readonly PipelinedSarParams NoErrors = new() { CoarseBits = 2, GainSigmaLocal = 0, InterstageOffsetSigma = 0, UnitCapSigma = 0, ComparatorOffsetSigma = 0 };

    [Fact]
    public void WithoutErrorsItIsIdeal()
    {
        using var scope = NewDisposeScope();
        var pop = AdcPopulation.Generate(Config(6, NoErrors), 2, 3, 1);
        Assert.True(TensorAssert.Same(pop.Thresholds, AdcModels.Ideal(6).unsqueeze(0).expand(6, -1)));
    }

    [Fact]
    public void AResidueGainErrorGivesTheDnlPatternOfItsEquation()
    {
        using var scope = NewDisposeScope();
        // 6 bits, 2 coarse: S = 16 fine codes per step; residue gain 5% high.
        var pop = AdcPopulation.Generate(Config(6, NoErrors with { GainError = 0.05 }), 1, 2, 1);
        var t = pop.Thresholds[0].data<double>().ToArray();
        for (int k = 1; k < 64; k++)
        {
            int c = k / 16, f = k % 16;
            double expected = f == 0 ? 16 * c - 0.5 : 16 * c + (f - 0.5) / 1.05;
            Assert.Equal(expected, t[k - 1], 12);
        }
        // Measured (IEEE 1241 code density): DNL = width / mean inner width - 1; the widest code ends each step.
        var lin = Characterization.Measure(pop);
        double mean = (t[62] - t[0]) / 62, lastOfStep = 16 - 0.5 - 14.5 / 1.05;
        Assert.Equal(lastOfStep / mean - 1, lin.Dnl.abs().max().item<double>(), 2);
        Assert.Equal(0, lin.MissingCodes.sum().item<long>());
    }

    [Fact]
    public void AResidueGainBelowNominalSaturatesTheFineStageAndCodesGoMissing()
    {
        using var scope = NewDisposeScope();
        // 10% low: fine code 15 of steps 0..2 would need a residue beyond the next coarse step: 3 missing codes.
        var pop = AdcPopulation.Generate(Config(6, NoErrors with { GainError = -0.10 }), 1, 2, 1);
        Assert.Equal(3, Characterization.Measure(pop).MissingCodes[0].item<long>());
    }

    [Fact]
    public void ItIsReadFromJsonByItsKindAndValidatedThere()
    {
        var hw = HardwareConfig.Parse(File.ReadAllText(Repo.Path("configs", "puma-reference.json"))
            .Replace("\"adc\": { \"kind\": \"ideal\", \"bits\": 7,", "\"adc\": { \"kind\": \"pipelined-sar\", \"bits\": 7, \"pipelined_sar\": { \"coarse_bits\": 3, \"gain_error\": -0.02 },"));
        Assert.Equal(-0.02, hw.Adc.Params<PipelinedSarParams>().GainError);
        Assert.Equal(0.01, hw.Adc.Params<PipelinedSarParams>().UnitCapSigma);       // defaults fill the rest
        var again = HardwareConfig.Parse(ImcSharp.IO.Json.Serialize(hw));
        Assert.Equal(hw.Adc, again.Adc);
        var bad = Assert.Throws<ImcInputException>(() => HardwareConfig.Parse(ImcSharp.IO.Json.Serialize(hw).Replace("\"coarse_bits\": 3", "\"coarse_bits\": 7")));
        Assert.Contains("adc.pipelined_sar.coarse_bits = 7", bad.Message);
    }

    [Fact]
    public void ItCostsItsTwoSarsAndTheResidueAmplifier()
    {
        var t = new AdcTechnology(28, 0.9);
        var cfg = Config(7, new PipelinedSarParams { CoarseBits = 3 });
        double amplifier = 16 * AdcTechnology.UnitCapacitance(4) * 0.81;
        Assert.Equal(SarArchitecture.Energy(3, t) + SarArchitecture.Energy(4, t) + amplifier, AdcArchitecture.Of(cfg).SwitchingEnergy(cfg, t), 1e-24);
        // 8 + 16 unit capacitors instead of 128: a smaller converter than a 7-bit SAR.
        Assert.True(AdcCostModel.Area(cfg, 28) < AdcCostModel.Area(new AdcConfig { Kind = "sar", Bits = 7 }, 28));
    }
}
