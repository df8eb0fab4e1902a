using ImcSharp.Converters;
using ImcSharp.Config;
using ImcSharp.Cost;
using ImcSharp.Models;

namespace ImcSharp.Tests.Cost;

public class CostModelTests
{
    static AdcConfig Adc(string kind, int bits, CalibrationKind cal = CalibrationKind.None) => new() { Kind = kind, Bits = bits, Calibration = cal };

    [Fact]
    public void ArchitecturesScaleAsTheirCircuitsDo()
    {
        double E(string k, int b, double fs = 1e6) => AdcCostModel.Energy(Adc(k, b), fs, 28, 0.9);
        // Flash: (2^N - 1) comparators, so one more bit roughly doubles its energy; SAR: N decisions + a 2^N cap DAC.
        Assert.InRange(E("flash", 7) / E("flash", 6), 1.9, 2.1);
        double sar8 = 8 * (AdcTechnology.ComparatorEnergy + AdcTechnology.LogicEnergyPerBit) + 0.5 * 256 * 1e-15 * 0.81;
        var fit = AdcSurvey.For("sar");
        Assert.Equal(1, E("sar", 8) / (fit.EnergyScale * sar8 * (1 + 1e6 / fit.CornerHz28)), 12);
        Assert.True(E("sar", 4) < E("sar", 8) / 2, "a 4-bit SAR spends well under half the energy of an 8-bit one");
        // Single slope: 2^N clock cycles.
        Assert.InRange(E("ramp", 8) / E("ramp", 7), 1.95, 2.05);
        // Speed costs above the corner; the survey envelope floors everything.
        Assert.True(E("sar", 8, 2e9) > 2.5 * E("sar", 8));
        Assert.True(E("sense-amp", 1) >= AdcCostModel.Envelope(1));
        Assert.True(E("flash", 14) >= AdcCostModel.Envelope(14));
        // Calibration is priced on top: nothing for none, LUT storage growing as 2^N (N + 2).
        Assert.Equal((0.0, 0.0), AdcCostModel.CalibrationCost(CalibrationKind.None, 7, 28, 0.9));
        var lut6 = AdcCostModel.CalibrationCost(CalibrationKind.Lut, 6, 28, 0.9);
        var lut8 = AdcCostModel.CalibrationCost(CalibrationKind.Lut, 8, 28, 0.9);
        Assert.InRange(lut8.Area / lut6.Area, 4 * 10.0 / 8 * 0.99, 4 * 10.0 / 8 * 1.01);
        Assert.True(AdcCostModel.CalibrationCost(CalibrationKind.TwoPoint, 8, 28, 0.9).Energy > 0);
    }

    [Fact]
    public void TheSurveyFitRecoversTheScaleAndCornerOfConvertersMadeByTheModel()
    {
        // Entries priced exactly by the model at a scale of 1.7 and a 28-nm corner of 10^9.5 Hz (on the fit's grid),
        // with areas 2.5 times the bottom-up: the fit must give those back.
        var made = new List<SurveyAdc>();
        foreach (var (node, bits, rate) in new[] { (28.0, 6, 1e8), (65, 8, 4e8), (40, 7, 2e9), (90, 5, 5e7), (22, 8, 1e10) })
        {
            var stub = new SurveyAdc("made", "", "", "SAR", "sar", node, 0.9, bits, 6.02 * bits + 1.76, rate, 1, 1);
            double e = AdcSurvey.BottomUpEnergy(stub) * 1.7 * (1 + rate / (Math.Pow(10, 9.5) * 28 / node));
            double area = AdcSurvey.BottomUpArea(stub) * 2.5;
            made.Add(stub with { PowerW = e * rate, AreaMm2 = area });
        }
        var fit = AdcSurvey.Fit("sar", made);
        Assert.Equal(1.7, fit.EnergyScale, 9);
        Assert.Equal(Math.Pow(10, 9.5), fit.CornerHz28, 6);
        Assert.Equal(2.5, fit.AreaScale, 9);   // the 2 and 10 GS/s entries are above the area fit's 1 GS/s
        Assert.Equal(3, fit.WithArea);
        Assert.All(made, a => Assert.Equal(1, AdcSurvey.Energy(a, fit) / a.EnergyPerConversion, 9));
    }

    [Fact]
    public void TheSurveyCalibratesEachKindAndMeetsTheCheckOnConvertersLeftOutOfItsFit()
    {
        var all = AdcSurvey.All;
        Assert.Equal(80, all.Count);
        Assert.Equal(45, all.Count(a => a.Kind == "sar"));
        Assert.Equal(24, all.Count(a => a.Kind == "flash"));
        Assert.Equal(11, all.Count(a => a.Kind == "oscillator"));
        Assert.All(all, a => Assert.InRange(a.SndrDb, 0, 62));
        // Each converter priced by the fit of its kind's others: at least 8 within 30% on energy, SARs, flashes and
        // oscillator-based ones among them; and no kind's median error beyond a factor of two.
        var checks = AdcSurvey.CrossValidate();
        var within = checks.Where(c => Math.Abs(c.EnergyError) <= 0.3).ToList();
        Assert.True(within.Count >= 8, $"{within.Count} within 30%");
        Assert.True(within.Count(c => c.Adc.Kind == "sar") >= 2);
        Assert.True(within.Count(c => c.Adc.Kind == "flash") >= 1);
        Assert.True(within.Count(c => c.Adc.Kind == "oscillator") >= 2);
        foreach (var kind in AdcSurvey.PricedAs.Keys)
        {
            var errors = checks.Where(c => c.Adc.Kind == kind).Select(c => Math.Abs(c.EnergyError)).OrderBy(e => e)
                .ToArray();
            Assert.True(errors[errors.Length / 2] < 1.0, $"{kind}: median |error| {errors[errors.Length / 2]:P0}");
        }
    }

    [Fact]
    public void PublishedMacrosArePricedFromTheirEmbeddedDesignsAtTheirPeak()
    {
        var checks = PublishedMacros.Check();
        Assert.Equal(PublishedMacros.All.Length, checks.Count);
        foreach (var c in checks)
        {
            var hw = PublishedMacros.Design(c.Published.Config);
            Assert.Contains("Assumed here", hw.Description);
            // TOPS/W is 2 MACs over the scope's energy: the core's for a macro, everything for a system.
            double energy = c.Published.Scope == "system" ? c.Cost.EnergyPerInferenceJ : c.Cost.Energy.Core;
            Assert.Equal(1, 2.0 * c.Cost.Macs / energy / 1e12 / c.ModelTopsPerW, 12);
            Assert.Equal(c.ModelTopsPerW / c.Published.TopsPerW - 1, c.TopsPerWError, 12);
            // The peak workload fills the array: every row, and every signal column of one array.
            Assert.Equal(1, c.Cost.Layers[0].Arrays);
            Assert.Equal(hw.Core.Rows, c.Cost.Layers[0].Inputs);
        }
        // The bar for whole designs: at least three within 30% on TOPS/W.
        Assert.True(checks.Count(c => Math.Abs(c.TopsPerWError) <= 0.3) >= 3,
            string.Join("; ", checks.Select(c => $"{c.Published.Name} {c.TopsPerWError:P0}")));
    }

    [Fact]
    public void ACalibratedArchitectureIsPricedWithItsKindsFitAndAnUncalibratedOneAsBefore()
    {
        var sar = new AdcConfig { Kind = "sar", Bits = 7 };
        var fit = AdcSurvey.For("sar");
        double bottomUp = AdcArchitecture.Of(sar).SwitchingEnergy(sar, new AdcTechnology(32, 1.0));
        Assert.Equal(AdcCostModel.Calibrated(bottomUp, fit.EnergyScale, fit.CornerHz28, 1e8, 32, 7),
            AdcCostModel.Energy(sar, 1e8, 32, 1.0));
        Assert.Equal(AdcCostModel.BottomUpArea(sar, 32) * fit.AreaScale, AdcCostModel.Area(sar, 32));
        // The ideal converter is priced as a SAR, with the SAR's calibration.
        Assert.Equal(AdcCostModel.Energy(sar, 1e8, 32, 1.0),
            AdcCostModel.Energy(new AdcConfig { Kind = "ideal", Bits = 7 }, 1e8, 32, 1.0));
        // A ramp converter has no survey population: s = 1, the 1 GHz corner.
        var ramp = new AdcConfig { Kind = "ramp", Bits = 6 };
        double rampUp = AdcArchitecture.Of(ramp).SwitchingEnergy(ramp, new AdcTechnology(28, 0.9));
        Assert.Equal(Math.Max(rampUp * (1 + 1e8 / 1e9), AdcCostModel.Envelope(6)), AdcCostModel.Energy(ramp, 1e8, 28, 0.9));
        Assert.Equal(AdcCostModel.BottomUpArea(ramp, 28), AdcCostModel.Area(ramp, 28));
    }

    [Fact]
    public void ConversionsAndAdcsAreCountedFromTheMapping()
    {
        var hw = new LayerHardware
        {
            Core = new CoreConfig { Rows = 128, Columns = 128, WeightBits = 8, BitsPerCell = 2, InputBits = 8, InputMode = InputMode.BitSerial, AdcShare = 4 },
            Adc = Adc("sar", 8),
        };
        // 400 inputs -> 4 tiles; 120 outputs x 4 slices = 480 signal columns, 64 per (differential) array -> 8 arrays per tile.
        var l = CoreCostModel.Analog("fc1", 400, 120, 3, hw, new CostConfig());
        Assert.Equal(4, l.Tiles);
        Assert.Equal(32, l.Arrays);
        Assert.Equal(32 * 16, l.Adcs);                                   // 64 signal columns per array / 4 sharing
        Assert.Equal(3L * 4 * 8 * 480, l.ConversionsPerInference);      // vectors x tiles x cycles x signal columns
        Assert.Equal(4 / 10e-9, l.AdcSampleRate, 1e-3);
        Assert.Equal(3 * 8 * 4 * 10e-9, l.LatencyS, 15);
        // Digital subtraction: every physical column converted, so a pair needs twice the ADCs and conversions, at the same latency.
        var d = CoreCostModel.Analog("fc1", 400, 120, 3, hw with { Core = hw.Core with { Subtract = Subtraction.Digital } }, new CostConfig());
        Assert.Equal(2 * l.Adcs, d.Adcs);
        Assert.Equal(2 * l.ConversionsPerInference, d.ConversionsPerInference);
        Assert.Equal(l.LatencyS, d.LatencyS, 15);
        Assert.True(d.Energy.Adc > 1.9 * l.Energy.Adc);
        // Offset mapping: 120 x 4 weight columns fill 4 arrays per tile (128 columns each); each tile adds 4 reference
        // columns, one per slice (its arrays share its inputs), each on its own ADC: the engine's mapping (Crossbar.LayerMapping).
        var o = CoreCostModel.Analog("fc1", 400, 120, 3, hw with { Core = hw.Core with { Mapping = WeightMapping.Offset, Subtract = Subtraction.Digital } }, new CostConfig());
        Assert.Equal(16 * 32 + 4 * 4, o.Adcs);
        Assert.Equal(3L * 4 * 8 * (480 + 4), o.ConversionsPerInference);
    }

    [Fact]
    public void EachChipIsTestedOnceForItsTrimAndItsCalibration()
    {
        var hw = new LayerHardware
        {
            Core = new CoreConfig { Rows = 128, Columns = 128, WeightBits = 8, BitsPerCell = 2, InputBits = 8, InputMode = InputMode.BitSerial, AdcShare = 4 },
            Adc = Adc("sar", 6),
        };
        var none = CoreCostModel.Analog("fc1", 400, 120, 3, hw, new CostConfig());
        Assert.Equal(0, none.TestTimeS);
        Assert.Equal(0, none.TestEnergyJ);
        // The trim: one zero-input vector, a third of this layer's three-vector latency and energy.
        var trim = CoreCostModel.Analog("fc1", 400, 120, 3, hw with { Adc = hw.Adc with { OffsetTrim = true } }, new CostConfig());
        Assert.Equal(trim.LatencyS / 3, trim.TestTimeS, 15);
        Assert.True(trim.TestEnergyJ > 0 && trim.TestEnergyJ < trim.Energy.Core / 2);
        // A LUT: 2^6 codes x 32 hits at the ADC's 400 MS/s, all ADCs at once.
        var lut = CoreCostModel.Analog("fc1", 400, 120, 3, hw with { Adc = hw.Adc with { Calibration = CalibrationKind.Lut } }, new CostConfig());
        Assert.Equal(64 * 32 / (4 / 10e-9), lut.TestTimeS, 15);
        Assert.Equal(1, lut.TestEnergyJ / (lut.Adcs * 64 * 32 * AdcCostModel.Energy(hw.Adc, 4 / 10e-9, 32, 0.9)), 12);
    }

    [Fact]
    public void CompensationIsPricedInRegistersPerInferenceEnergyAndTestTime()
    {
        var cfg = HardwareConfig.Load(Repo.Path("experiments/hw/current-rram-cco-realistic.json"));
        var spec = new ModelSpec("lenet5", 1, 28, 28, 10);
        var shapes = ImcSharp.Nn.LayerShapes.Of(spec);
        var plain = CoreCostModel.Price(spec.Name, shapes, cfg);
        var bn = CoreCostModel.Price(spec.Name, shapes, cfg with { Compensation = new() { BatchNorm = true, Images = 100 } });
        var gain = CoreCostModel.Price(spec.Name, shapes, cfg with { Compensation = new() { OutputGain = true, Images = 100 } });
        // Re-estimation: accumulators only (area), nothing per inference; the test runs 100 pipelined inferences.
        Assert.Equal(plain.EnergyPerInferenceJ, bn.EnergyPerInferenceJ);
        Assert.True(bn.Area.Calibration > plain.Area.Calibration);
        Assert.Equal(plain.TestTimeS + 100 / plain.ThroughputInferencesPerS + plain.LatencyS, bn.TestTimeS, 12);
        Assert.True(bn.TestEnergyJ > 100 * plain.EnergyPerInferenceJ && bn.TestEnergyJ < 110 * plain.EnergyPerInferenceJ);
        // Gain registers: a multiply-add per output and vector, and more area than the accumulators alone.
        Assert.True(gain.EnergyPerInferenceJ > plain.EnergyPerInferenceJ);
        Assert.True(gain.Energy.Calibration - plain.Energy.Calibration < 0.05 * plain.EnergyPerInferenceJ);
        Assert.True(gain.Area.Calibration > bn.Area.Calibration);
    }

    [Fact]
    public void TheReferenceDesignSpendsMostOfItsCoreEnergyInAdcs()
    {
        var cfg = HardwareConfig.Load(Repo.Path("configs", "reference-sar8.json"));
        var spec = new ModelSpec("lenet5", 1, 28, 28, 10);
        var reference = CoreCostModel.Price(spec.Name, ImcSharp.Nn.LayerShapes.Of(spec), cfg);
        Assert.True(reference.AdcEnergyShare > 0.85, $"ADC share {reference.AdcEnergyShare}");
        Assert.Equal(reference.Energy.Total, reference.EnergyPerInferenceJ);
        Assert.Equal(reference.Layers.Sum(l => l.ConversionsPerInference), reference.ConversionsPerInference);
        // A lower-resolution uncalibrated ADC on the same cores costs less energy and area.
        var cheap = CoreCostModel.Price(spec.Name, ImcSharp.Nn.LayerShapes.Of(spec), cfg with { Adc = cfg.Adc with { Bits = 5, Calibration = CalibrationKind.None } });
        Assert.True(cheap.EnergyPerInferenceJ < reference.EnergyPerInferenceJ && cheap.AreaMm2 < reference.AreaMm2);
    }
}
