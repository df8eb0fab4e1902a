using ImcSharp.Config;
using ImcSharp.Crossbar;
using ImcSharp.Memory;
using TorchSharp;
using static TorchSharp.torch;

namespace ImcSharp.Tests.Crossbar;

public class PhysicsTests
{
    static LayerHardware Rram(double progSigma = 0, double progSigmaMin = 0, double readNoise = 0, double stuckOn = 0, double stuckOff = 0) =>
        HardwareFixtures.Exact(WeightMapping.Differential, InputMode.BitSerial) with
        {
            Cell = new CellConfig
            {
                Kind = CellKind.Rram, GMin = 2e-6, GMax = 40e-6, ProgrammingSigma = progSigma, ProgrammingSigmaAtGmin = progSigmaMin,
                ReadNoise = readNoise, StuckOnRate = stuckOn, StuckOffRate = stuckOff,
            },
        };

    [Fact]
    public void SameSeedSameChipDifferentSeedDifferentChip()
    {
        using var scope = NewDisposeScope();
        manual_seed(1);
        var (wq, ws) = WeightSlicing.Quantize(randn(20, 100), 8);
        var hw = Rram(0.05, 0.02, 0, 0.01, 0.01);
        using var a = new ProgrammedLayer(wq, ws, hw, 42);
        using var b = new ProgrammedLayer(wq, ws, hw, 42);
        using var c = new ProgrammedLayer(wq, ws, hw, 43);
        Assert.True(TensorAssert.Same(a.EffectiveByColumn, b.EffectiveByColumn));
        Assert.False(TensorAssert.Same(a.EffectiveByColumn, c.EffectiveByColumn));
    }

    [Fact]
    public void RramProgrammingErrorsMatchConfiguredDistributions()
    {
        using var scope = NewDisposeScope();
        var cell = Rram(0.06, 0.02, 0, 0.004, 0.01).Cell;
        const int n = 400_000;
        var digits = full(new long[] { n }, 2f);                  // level 2 of 0..3
        var state = CellModels.Program(cell, 4, digits, new Generator(7));
        var g = state.Conductance!;
        var stuckOn = g.eq(cell.GMax).to_type(ScalarType.Float64).mean().item<double>();
        var stuckOff = g.eq(cell.GMin).to_type(ScalarType.Float64).mean().item<double>();
        double Tol(double p) => 5 * Math.Sqrt(p * (1 - p) / n);
        Assert.InRange(stuckOn, 0.004 - Tol(0.004), 0.004 + Tol(0.004));
        Assert.InRange(stuckOff, 0.01 - Tol(0.01), 0.01 + Tol(0.01));

        var healthy = g.masked_select(g.ne(cell.GMax).logical_and(g.ne(cell.GMin))).to_type(ScalarType.Float64);
        double target = cell.GMin + 2 * (cell.GMax - cell.GMin) / 3;
        double sigma = (0.02 + (0.06 - 0.02) * 2.0 / 3) * cell.GMax;  // linear in level, fraction of G_max
        Assert.Equal(target, healthy.mean().item<double>(), sigma * 0.01);
        Assert.Equal(sigma, healthy.std().item<double>(), sigma * 0.01);
        // Contribution is (G - G_min)/dG: level 2 on average.
        Assert.Equal(2.0, state.Contribution.masked_select(g.ne(cell.GMax).logical_and(g.ne(cell.GMin))).mean().item<float>(), 2);
    }

    [Fact]
    public void SramAndCapacitorMismatchMatchConfiguredSigma()
    {
        using var scope = NewDisposeScope();
        var digits = ones(200_000);
        var sram = CellModels.Program(new CellConfig { Kind = CellKind.Sram, CurrentSigma = 0.08 }, 2, digits, new Generator(3));
        Assert.Equal(1.0, sram.Contribution.mean().item<float>(), 2);
        Assert.Equal(0.08, sram.Contribution.std().item<float>(), 3);
        var cap = CellModels.Program(new CellConfig { Kind = CellKind.Capacitor, CapacitorSigma = 0.005 }, 2, digits * 0, new Generator(3));
        Assert.Equal(0.005, cap.CapacitanceRatio!.std().item<float>(), 4);
        Assert.Equal(0.0, cap.Contribution.abs().max().item<float>());   // a level-0 cell adds no charge
    }

    [Fact]
    public void ReadNoiseVarianceIsSumOfCellVariances()
    {
        using var scope = NewDisposeScope();
        manual_seed(2);
        var hw = Rram(readNoise: 0.05);
        var (wq, ws) = WeightSlicing.Quantize(randn(4, 64), 8);
        using var chip = new ProgrammedLayer(wq, ws, hw, 5);
        var xq = InputEncoding.Quantize(rand(1, 64), 1.0 / 63, 6, false).expand(20000, 64).contiguous();
        var p = AnalogMvm.PartialSums(chip, xq, false);                 // [1, 3*20000, 16]
        var measured = p.view(1, 3, 20000, -1).var(2)[0];                // [3, 16]
        var digits = InputEncoding.Digits(xq.narrow(0, 0, 1), hw.Core, false).view(3, 64);
        var predicted = digits.square().matmul(chip.ReadVariance![0].t());   // [3, 16]
        var ratio = (measured / predicted).masked_select(predicted.gt(1e-3));
        Assert.InRange(ratio.mean().item<float>(), 0.97, 1.03);
    }

    [Fact]
    public void ChargeModeIdealEqualsCurrentModeAfterScaling()
    {
        using var scope = NewDisposeScope();
        manual_seed(4);
        var current = HardwareFixtures.Exact(WeightMapping.Differential, InputMode.BitSerial) with
        {
            Adc = new AdcConfig { Bits = 7 },   // auto range: a real, lossy quantizer
        };
        var charge = current with
        {
            Cell = new CellConfig { Kind = CellKind.Capacitor, CapacitorSigma = 0 },
            Array = new ArrayConfig { Mode = ArrayMode.Charge, ParasiticCapacitance = 0 },
        };
        var (wq, ws) = WeightSlicing.Quantize(randn(9, 150), 8);
        var xq = InputEncoding.Quantize(rand(10, 150), 1.0 / 63, 6, false);
        using var c = new ProgrammedLayer(wq, ws, current, 1);
        using var q = new ProgrammedLayer(wq, ws, charge, 1);
        var iSum = AnalogMvm.PartialSums(c, xq, false) * (c.Ranges[0].Lsb * c.SignalUnit.Unit);    // A
        var vSum = AnalogMvm.PartialSums(q, xq, false) * (q.Ranges[0].Lsb * q.SignalUnit.Unit);    // V
        // V_bl = sum(C V_i d_i/(levels-1)) / (R C) against I = sum(V_i G_i): a fixed ratio.
        double ratio = q.SignalUnit.Unit / c.SignalUnit.Unit;
        Assert.True(vSum.allclose(iSum * ratio, rtol: 1e-5, atol: 1e-9));
        Assert.Equal("V", q.SignalUnit.Quantity);
        Assert.Equal(0.8 / 3 / (3 * 64), q.SignalUnit.Unit, 12);
        Assert.True(TensorAssert.Same(AnalogMvm.Forward(c, xq, false), AnalogMvm.Forward(q, xq, false)));
    }

    [Fact]
    public void ParasiticCapacitanceAndIrDropAttenuateAsDerived()
    {
        using var scope = NewDisposeScope();
        var core = new CoreConfig { Rows = 32, Columns = 2, WeightBits = 2, BitsPerCell = 1, InputBits = 1, InputMode = InputMode.Dac };
        var wq = ones(1, 32);                       // every cell of the positive column at level 1
        var xq = ones(1, 32);
        var exact = new AdcConfig { Bits = 16, Range = new AdcRange { Mode = AdcRangeMode.Exact } };
        var charge = new LayerHardware
        {
            Core = core, Adc = exact,
            Cell = new CellConfig { Kind = CellKind.Capacitor, UnitCapacitance = 1e-15 },
            Array = new ArrayConfig { Mode = ArrayMode.Charge, ParasiticCapacitance = 32e-15 },   // C_par = sum C
        };
        using (var chip = new ProgrammedLayer(wq, 1, charge, 1))
            Assert.Equal(16.0, AnalogMvm.PartialSums(chip, xq, false).flatten()[0].item<float>(), 4);   // 32 halved

        double r = 2.0, gMax = 40e-6, gMin = 2e-6;
        var rram = new LayerHardware
        {
            Core = core, Adc = exact,
            Cell = new CellConfig { Kind = CellKind.Rram, GMin = gMin, GMax = gMax },
            Array = new ArrayConfig { WireResistance = r },
        };
        using (var chip = new ProgrammedLayer(wq, 1, rram, 1))
        {
            // Each column loses 1/(1 + r R/2 G_col); the G_min currents no longer cancel exactly.
            double dG = gMax - gMin;
            double expected = 32 * gMax / dG / (1 + r * 16 * 32 * gMax) - 32 * gMin / dG / (1 + r * 16 * 32 * gMin);
            Assert.Equal(expected, AnalogMvm.PartialSums(chip, xq, false).flatten()[0].item<float>(), 3);
        }
    }

    [Fact]
    public void SignalColumnsMapToTheSharedAdcOfTheirArray()
    {
        // 8 physical columns = 4 differential signal columns per array, 2 columns per ADC.
        var core = new CoreConfig { Columns = 8, AdcShare = 2, WeightBits = 8, BitsPerCell = 8 };
        var map = new LayerMapping(core, Inputs: 2 * core.Rows, Outputs: 10);
        var ids = map.AdcInstanceIds();
        Assert.Equal((2, 10, 12), (map.Tiles, map.SignalColumns, map.Adcs));     // 2 tiles x 3 arrays x 2 ADCs
        Assert.Equal(new long[] { 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10 }, ids.flatten().data<long>().ToArray());
    }
}
