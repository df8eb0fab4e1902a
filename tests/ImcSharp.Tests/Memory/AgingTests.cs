using ImcSharp.Config;
using ImcSharp.Converters;
using ImcSharp.Crossbar;
using ImcSharp.Memory;
using ImcSharp.Nn;
using ImcSharp.Tests.Crossbar;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace ImcSharp.Tests.Memory;

/// <summary>Retention failures, read noise growing with time, and what the chip does about drift.</summary>
public class AgingTests
{
    static readonly CellConfig Rram = new() { Kind = CellKind.Rram, GMin = 1e-6, GMax = 5e-5 };

    static Tensor Digits() =>
        randint(1, 4, new long[] { 200, 500 }, generator: new Generator(3)).to_type(ScalarType.Float32);

    static CellState Program(CellConfig cell) => CellModels.Program(cell, 4, Digits(), new Generator(11));

    /// <summary>
    /// The fraction of 100,000 cells (none at G_min when programmed) found at G_min is the Weibull
    /// F(t) = 1 - exp(-((t - t0)/tau)^beta) within 3 standard errors; a cell failed at t has failed at 10 t, and
    /// nothing has failed at t0.
    /// </summary>
    [Fact]
    public void RetentionFailuresFollowTheConfiguredWeibullLaw()
    {
        using var scope = NewDisposeScope();
        var cell = Rram with { RetentionTau = 1e6, RetentionBeta = 0.7 };
        Tensor Failed(double t) => Program(cell with { ReadTime = t }).Conductance!.eq((float)Rram.GMin);
        foreach (var (t, expected) in new[] { (20 + 1e6, 1 - Math.Exp(-1)), (20 + 1e5, 1 - Math.Exp(-Math.Pow(0.1, 0.7))) })
        {
            Assert.Equal(expected, CellAging.FailureProbability(cell, t), 12);
            double n = 100_000, fraction = Failed(t).sum().item<long>() / n;
            Assert.True(Math.Abs(fraction - expected) < 3 * Math.Sqrt(expected * (1 - expected) / n),
                $"failed {fraction} at t = {t} s, expected {expected}");
        }
        var early = Failed(1e5);
        Assert.True(early.logical_and(Failed(1e6).logical_not()).sum().item<long>() == 0, "a failed cell recovered");
        Assert.Equal(0, Failed(20).sum().item<long>());
    }

    /// <summary>
    /// RRAM relaxation: 100,000 cells read 10^6 t0 after programming have moved by mu ln(t/t0) on average (3
    /// standard errors) with spread sigma_0 + sigma_1 ln(t/t0) (3%), the CMO/HfOx figures; a cell's shift keeps its
    /// sign between two read times (one draw per cell).
    /// </summary>
    [Fact]
    public void RelaxationShiftsAndSpreadsAsConfigured()
    {
        using var scope = NewDisposeScope();
        var cell = Rram with { RelaxationMean = -0.089e-6, RelaxationSigma = 0.41e-6, RelaxationSigmaGrowth = 0.042e-6 };
        double t = 20e6, efolds = Math.Log(1e6);
        var fresh = Program(cell).Conductance!.to_type(ScalarType.Float64);
        var shift = Program(cell with { ReadTime = t }).Conductance!.to_type(ScalarType.Float64) - fresh;
        double mean = shift.mean().item<double>(), sd = shift.std().item<double>();
        double expectedSd = 0.41e-6 + 0.042e-6 * efolds;
        Assert.True(Math.Abs(mean - -0.089e-6 * efolds) < 3 * expectedSd / Math.Sqrt(shift.numel()), $"mean {mean}");
        Assert.True(Math.Abs(sd / expectedSd - 1) < 0.03, $"sd {sd} against {expectedSd}");
        var early = Program(cell with { ReadTime = 200 }).Conductance!.to_type(ScalarType.Float64) - fresh;
        var sameSide = (shift - mean).sign().eq((early - early.mean()).sign()).to_type(ScalarType.Float64).mean();
        Assert.True(sameSide.item<double>() > 0.95, $"{sameSide.item<double>()} of cells keep their side");
    }

    /// <summary>
    /// Read noise grows as 1/f noise integrated down to 1/t: sigma(t)/sigma(t0) = sqrt(ln((t + t_r)/(2 t_r)) /
    /// ln((t0 + t_r)/(2 t_r))), by hand at 10 years with t_r = 250 ns: sqrt(34.078 / 17.504) = 1.3953.
    /// </summary>
    [Fact]
    public void ReadNoiseGrowsWithTheLogarithmOfTime()
    {
        using var scope = NewDisposeScope();
        var cell = Rram with { ReadNoise = 0.02, ReadNoiseTRead = 250e-9 };
        double tenYears = 10 * 31_557_600;
        var fresh = Program(cell).ReadSigma!;
        var aged = Program(cell with { ReadTime = tenYears }).ReadSigma!;
        Assert.Equal(1.3953, CellAging.ReadNoiseGrowth(cell, tenYears), 3);
        var ratio = (aged / fresh).to_type(ScalarType.Float64);
        Assert.True((ratio - CellAging.ReadNoiseGrowth(cell, tenYears)).abs().max().item<double>() < 1e-6);
        // Without t_r the noise stays what was configured, and nothing else about the cells changes.
        var steady = Program(Rram with { ReadNoise = 0.02, ReadTime = tenYears });
        Assert.True(steady.ReadSigma!.equal(fresh).all().item<bool>());
        Assert.True(Program(cell with { ReadTime = tenYears }).Conductance!.equal(Program(cell).Conductance!).all()
            .item<bool>());
    }

    [Fact]
    public void AgingFieldsAreChecked()
    {
        var e = new ConfigErrors();
        (Rram with { RetentionBeta = 2, ReadNoiseTRead = -1 }).Validate(e, "cell.", new CoreConfig());
        Assert.Contains(e.Errors, m => m.StartsWith("cell.retention_beta = 2") && m.Contains("retention_tau"));
        Assert.Contains(e.Errors, m => m.StartsWith("cell.read_noise_t_read = -1"));
        var adc = new ConfigErrors();
        new AdcConfig { OffsetRetrim = true }.Validate(adc, "adc.");
        Assert.Contains(adc.Errors, m => m.StartsWith("adc.offset_retrim") && m.Contains("offset_trim"));
    }

    static LayerHardware Drifting(double? readTime, bool compensate) =>
        HardwareFixtures.Exact(WeightMapping.Differential, InputMode.Dac, bitsPerCell: 2, inputBits: 6) with
        {
            // G_min = 0 and one exponent for every cell: the drift is one gain (t/t0)^-nu on every column.
            Cell = new CellConfig
            {
                Kind = CellKind.Rram, GMin = 0, GMax = 5e-5, DriftNu = 0.05, ReadTime = readTime,
                DriftCompensation = compensate,
            },
        };

    static Tensor Outputs(LayerHardware hw, Tensor x)
    {
        manual_seed(3);
        var layer = new AnalogLinear("fc", new Parameter(randn(6, 150) * 0.1), null, hw);
        layer.CalibrateInput(x);
        layer.Program(7);
        return layer.call(x);
    }

    /// <summary>
    /// Cells that all drift by one factor k = (t/t0)^-nu (0.46 after 10^8 s at nu = 0.05) scale every output by k;
    /// global drift compensation's tile scales 1/k bring the outputs back to the fresh chip's, up to the 16-bit
    /// ADC's rounding of the drifted sums.
    /// </summary>
    [Fact]
    public void GlobalDriftCompensationUndoesAUniformDrift()
    {
        using var scope = NewDisposeScope();
        var x = rand(new long[] { 8, 150 }, generator: new Generator(2));
        double t = 1e8, k = Math.Pow(t / 20, -0.05);
        var fresh = Outputs(Drifting(null, false), x);
        var aged = Outputs(Drifting(t, false), x);
        var compensated = Outputs(Drifting(t, true), x);
        double scale = fresh.abs().max().item<float>();
        Assert.True((aged - fresh * k).abs().max().item<float>() < 0.01 * scale, "uncompensated: the outputs times k");
        Assert.True((compensated - fresh).abs().max().item<float>() < 0.01 * scale,
            $"compensated: {(compensated - fresh).abs().max().item<float>()} off on outputs up to {scale}");
        Assert.True((aged - fresh).abs().max().item<float>() > 0.3 * scale);
    }

    /// <summary>
    /// A trim is measured once, at programming: on an aged chip it is the fresh chip's offset (a mid-scale error of
    /// the -7% corner, 5 codes a conversion); retaken at the read time, through the compensated tiles, it is the
    /// offset scaled by each tile's drift scale.
    /// </summary>
    [Fact]
    public void TheOffsetTrimIsKeptFromProgrammingUnlessRetaken()
    {
        using var scope = NewDisposeScope();
        LayerHardware Design(double? t, bool retrim) =>
            HardwareFixtures.Exact(WeightMapping.Differential, InputMode.Dac, bitsPerCell: 2, inputBits: 4) with
            {
                Cell = new CellConfig
                {
                    Kind = CellKind.Rram, GMin = 1e-6, GMax = 5e-5, DriftNu = 0.05, ReadTime = t,
                    DriftCompensation = true,
                },
                Adc = new AdcConfig
                {
                    Kind = "flash", Bits = 7, Bias = AdcBias.MidScale, OffsetTrim = true, OffsetRetrim = retrim,
                    Range = new AdcRange { Mode = AdcRangeMode.Exact },
                    Corners = new() { new AdcCorner { Name = "slow", Gain = -0.07 } },
                }.With(new FlashParams { ComparatorSigma = 0 }),
            };
        var x = rand(new long[] { 4, 150 }, generator: new Generator(2));
        Tensor Trim(LayerHardware hw)
        {
            manual_seed(3);
            var layer = new AnalogLinear("fc", new Parameter(randn(6, 150) * 0.1), null, hw);
            layer.CalibrateInput(x);
            layer.Program(7, corner: 0);
            Assert.Equal(hw.Cell.ReadTime is null ? null : (object)true, layer.Chip!.TileScale is null ? null : true);
            return layer.Chip!.OutputOffset!.clone();
        }
        var fresh = Trim(Design(null, false));
        Assert.True(fresh.abs().min().item<float>() > 0, "the design has an offset to trim");
        Assert.True(TensorAssert.Same(Trim(Design(1e8, false)), fresh));
        var retaken = Trim(Design(1e8, true));
        Assert.True((retaken - fresh).abs().max().item<float>() > 0.1 * fresh.abs().max().item<float>(),
            "a trim retaken through the compensated tiles differs");
    }

    /// <summary>
    /// Compensation is priced: the tile scales' multiplies and registers under calibration, and each event's reads
    /// (a known-input vector, a zero-input vector for a retaken trim) per event.
    /// </summary>
    [Fact]
    public void CompensationIsPriced()
    {
        var plain = Drifting(1e8, false);
        var compensated = Drifting(1e8, true);
        var retrimmed = compensated with { Adc = compensated.Adc with { OffsetTrim = true, OffsetRetrim = true } };
        var price = (LayerHardware hw) => ImcSharp.Cost.CoreCostModel.Analog("fc", 150, 6, 10, hw, new CostConfig());
        var (a, b, c) = (price(plain), price(compensated), price(retrimmed));
        Assert.Equal(0, a.CompensationEnergyPerEventJ);
        Assert.True(b.Energy.Calibration > a.Energy.Calibration && b.Area.Calibration > a.Area.Calibration);
        // One vector per measurement: about a tenth of this layer's 10-vector inference, twice with a retrim.
        double perVector = (b.Energy.Arrays + b.Energy.Drivers + b.Energy.Adc + b.Energy.ShiftAdd) / 10;
        Assert.True(Math.Abs(b.CompensationEnergyPerEventJ / perVector - 1) < 0.05, $"{b.CompensationEnergyPerEventJ}");
        Assert.True(Math.Abs(c.CompensationEnergyPerEventJ / b.CompensationEnergyPerEventJ - 2) < 1e-9);
    }
}
