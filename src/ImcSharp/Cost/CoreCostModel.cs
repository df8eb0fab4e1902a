using ImcSharp.Config;
using ImcSharp.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace ImcSharp.Cost;

/// <summary>Energy (J per inference) by component.</summary>
/// <remarks><see cref="DigitalOps"/>: attention's products between activations, softmax, LayerNorm and GELU, run in
/// the digital back end (<see cref="Nn.DigitalOps"/>).</remarks>
public sealed record EnergyBreakdown(double Arrays, double Drivers, double Adc, double Calibration, double ShiftAdd,
    double Accumulation, double Buffers, double DigitalLayers, double DigitalOps = 0)
{
    /// <summary>Core compute energy: what the analog cores spend on the MVMs themselves.</summary>
    public double Core => Arrays + Drivers + Adc + Calibration + ShiftAdd;
    public double Total => Core + Accumulation + Buffers + DigitalLayers + DigitalOps;
    public static EnergyBreakdown operator +(EnergyBreakdown a, EnergyBreakdown b) =>
        new(a.Arrays + b.Arrays, a.Drivers + b.Drivers, a.Adc + b.Adc,
        a.Calibration + b.Calibration, a.ShiftAdd + b.ShiftAdd, a.Accumulation + b.Accumulation, a.Buffers + b.Buffers,
            a.DigitalLayers + b.DigitalLayers, a.DigitalOps + b.DigitalOps);
    public static readonly EnergyBreakdown Zero = new(0, 0, 0, 0, 0, 0, 0, 0);
}

/// <summary>Area (mm^2) by component.</summary>
/// <remarks><see cref="DigitalOps"/>: the digital units that run attention, softmax, LayerNorm and GELU
/// (<see cref="DigitalOpCost"/>); layers kept digital are priced without area.</remarks>
public sealed record AreaBreakdown(double Arrays, double Drivers, double Adc, double Calibration, double ShiftAdd,
    double Buffers, double DigitalOps = 0)
{
    public double Total => Arrays + Drivers + Adc + Calibration + ShiftAdd + Buffers + DigitalOps;
    public static AreaBreakdown operator +(AreaBreakdown a, AreaBreakdown b) =>
        new(a.Arrays + b.Arrays, a.Drivers + b.Drivers, a.Adc + b.Adc,
        a.Calibration + b.Calibration, a.ShiftAdd + b.ShiftAdd, a.Buffers + b.Buffers, a.DigitalOps + b.DigitalOps);
    public static readonly AreaBreakdown Zero = new(0, 0, 0, 0, 0, 0);
}

/// <summary>One weight layer: its mapping, conversions and cost per inference.</summary>
/// <remarks>A digital operation (<see cref="Op"/> set: matmul, softmax, layernorm, gelu) is a row of its own, with
/// its placement (digital); <see cref="Macs"/> counts only products between activations.</remarks>
public sealed record LayerCost(string Name, bool Digital, long Inputs, long Outputs, long VectorsPerInference,
    long Macs, int Tiles, int Arrays, int Adcs,
    long ConversionsPerInference, double AdcEnergyPerConversion, double AdcSampleRate, double LatencyS,
        EnergyBreakdown Energy, AreaBreakdown Area, double CompensationEnergyPerEventJ = 0, double TestTimeS = 0,
    double TestEnergyJ = 0, string? Op = null);

/// <summary>The cost of one network inference on a design.</summary>
/// <remarks>ADC shares count the ADCs with their calibration (<see cref="CalibrationEnergyShare"/> is the calibration's
/// part).</remarks>
public sealed record NetworkCost(string Model, string Hardware, double EnergyPerInferenceJ, double AreaMm2,
    double AdcEnergyShare, double AdcAreaShare,
    double CalibrationEnergyShare, double CalibrationAreaShare,
    double CoreEnergyJ, long Macs, long ConversionsPerInference, double ThroughputInferencesPerS, double LatencyS,
        double TopsPerW, double TopsPerMm2,
    EnergyBreakdown Energy, AreaBreakdown Area, List<LayerCost> Layers, CostConfig Assumptions,
    double CompensationEnergyPerEventJ = 0, double TestTimeS = 0, double TestEnergyJ = 0);

/// <summary>
/// Energy and area of a network on IMC cores, counted from the mapping. Per analog layer with K
/// inputs, N outputs, V input vectors per inference, T = ceil(K/R) tiles, S slices, C input
/// cycles and column sharing m:
///   conversions = V T C N S; ADC sample rate f_s = m / t_cycle; ADCs = T ceil(N S / cols) ceil(cols / m)
///   arrays (current mode): E = V C sum_cells a_in V_read^2 G_avg t_read, G_avg = G_min + a_cell (G_max - G_min)
///   arrays (charge mode):  E = V C sum_cells a_in a_cell C_u V_dd^2 + V C columns C_par V_dd^2
///   drivers: per row and cycle, the row wire (0.2 fF per crossed cell) charged to the drive voltage, plus a DAC of c
///   bits in DAC mode
///   shift-and-add: one add per conversion; tile accumulation: one 32-bit add per output per extra tile;
///   buffers: every input and output value read/written once (SRAM, 0.16 pJ/bit at 45 nm).
///   drift compensation (calibration): a 16 x accBits multiply per output, tile and vector; a compensation event
///   (drift scales, a retaken trim) costs one vector per measurement, priced per event, not per inference.
/// Per-chip test at deployment (once per chip, not per inference; layers tested in parallel, so the chip's test time
/// is its slowest layer's): the offset trim reads one zero-input vector (one vector's latency and energy);
/// two-point and LUT calibration measure every ADC's thresholds by a code-density test of H = 32 hits per code,
/// 2^N H conversions per ADC at its sample rate, all ADCs in parallel.
/// Deployment compensation (the config's <c>compensation</c>, measured per chip on N calibration images): gain
/// registers add per output of every analog layer a gain (11 bits) and an offset (accBits) register and one
/// 11 x accBits multiply-add per output and vector, on multipliers enough for n outputs per vector at one product
/// per ns; measuring them and re-estimating
/// BatchNorm both need per output a sum and a sum-of-squares accumulator (2 x 32 bits) and one 16 x 16 squarer per
/// layer (for BatchNorm an upper bound: a layer not followed by BatchNorm needs none). BatchNorm's own affine is
/// digital with or without re-estimation (not priced). Test: N inferences per chip, pipelined (N / throughput +
/// latency), at N times the energy of an inference plus the accumulations.
/// Latency of a layer: V C m t_cycle (its tiles run in parallel); pipelined throughput: 1 / slowest layer.
/// Digital layers (kept digital by the config): 8-bit MACs at 0.2 + 0.1 pJ (45 nm), 256 MACs per ns.
/// Constants: Horowitz, "Computing's energy problem (and what we can do about it)", ISSCC 2014
/// (45 nm: 8-bit add 0.03 pJ, 32-bit add 0.1 pJ, 8-bit multiply 0.2 pJ, 8 kB SRAM 64-bit read 10 pJ).
/// </summary>
/// <summary>
/// A weight layer as the cost model sees it: K inputs, N outputs, the input vectors it multiplies per sample (output
/// pixels of a convolution).
/// </summary>
/// <remarks>
/// <see cref="Op"/> set: a digital operation (<see cref="Nn.DigitalOp"/>), not a weight layer: a product of
/// [VectorsPerSample, Inputs] by [Inputs, Outputs] between activations, or an element-wise operation over
/// VectorsPerSample rows of Inputs (= Outputs) elements.
/// </remarks>
public sealed record LayerShape(string Name, long Inputs, long Outputs, long VectorsPerSample,
    Nn.DigitalOpKind? Op = null)
{
    /// <summary>The shape of a recorded digital operation.</summary>
    public static LayerShape Of(Nn.DigitalOp op) => new(op.Name, op.RowLength,
        op.Kind == Nn.DigitalOpKind.MatMul ? op.Columns : op.RowLength, op.Rows, op.Kind);
}

public static class CoreCostModel
{
    const double WireCapacitancePerCell = 0.2e-15;   // row wire + access gate per crossed cell (F)
    const double DacEnergyPerBit45 = 0.05e-12;        // per DAC bit per conversion at 45 nm
    const double SramEnergyPerBit45 = 10e-12 / 64;    // Horowitz 2014
    const double Add32Energy45 = 0.1e-12;
    const double DigitalMacEnergy45 = 0.2e-12 + 0.1e-12;
    const double DigitalMacsPerSecond = 256e9;
    const double DriverAreaPerRow28 = 3e-12;          // m^2: level shifter + driver
    const double DacAreaPerBit28 = 5e-12;
    const double AdderAreaPerBit28 = 1.5e-12;
    const double BufferAreaPerBit28 = 0.3e-12;
    /// <summary>
    /// Hits per code of the code-density (histogram) test that measures an ADC's thresholds for calibration: tens of
    /// hits per code keep the threshold error within a fraction of an LSB (IEEE Std 1241 histogram test).
    /// </summary>
    public const int CodeDensityHitsPerCode = 32;

    /// <summary>
    /// Cell footprint in F^2 (cost.cell_area_f2 overrides), by the cell technology: 1T1R RRAM 30 F^2, 8T SRAM 200 F^2,
    /// SRAM + MOM capacitor 300 F^2.
    /// </summary>
    public static double CellAreaF2(CellConfig cell, CostConfig cost) =>
        cost.CellAreaF2 ?? Memory.CellTechnology.Of(cell).AreaF2;

    /// <summary>
    /// Prices a network on <paramref name="config"/> from its weight layers' shapes, in order
    /// (<c>Nn.LayerShapes.Of</c> records them from any TorchSharp model): each layer analog on its
    /// hardware, or digital where the config keeps it so.
    /// </summary>
    public static NetworkCost Price(string name, IReadOnlyList<LayerShape> layers, HardwareConfig config)
    {
        var weights = layers.Where(l => l.Op is null).ToList();
        if (weights.Count == 0) throw new ImcInputException($"{name}: no weight layers (Linear, Conv2d) to price");
        var costs = new List<LayerCost>();
        for (int i = 0; i < weights.Count; i++)
        {
            var l = weights[i];
            bool digital = config.IsDigital(l.Name, i == 0, i == weights.Count - 1);
            costs.Add(digital ? Digital(l.Name, l.Inputs, l.Outputs, l.VectorsPerSample, config.Cost)
                : Analog(l.Name, l.Inputs, l.Outputs, l.VectorsPerSample, config.For(l.Name), config.Cost,
                    config.Compensation));
        }
        costs.AddRange(DigitalOpCost.Price(layers.Where(l => l.Op is not null).ToList(), config.Cost));
        var energy = costs.Aggregate(EnergyBreakdown.Zero, (a, c) => a + c.Energy);
        var area = costs.Aggregate(AreaBreakdown.Zero, (a, c) => a + c.Area);
        long macs = costs.Sum(c => c.Macs);
        // The digital operations share one digital unit: one pipeline stage of their summed time.
        double opsTime = costs.Where(c => c.Op is not null).Sum(c => c.LatencyS);
        double latency = costs.Sum(c => c.LatencyS),
            slowest = Math.Max(costs.Where(c => c.Op is null).Max(c => c.LatencyS), opsTime);
        double throughput = 1 / slowest;
        // The compensation's test: N calibration inferences per chip, then the layers' accumulations.
        double compTestS = 0, compTestE = 0;
        if (config.Compensation is { Any: true } comp)
        {
            compTestS = comp.Images / throughput + latency;
            compTestE = comp.Images * energy.Total;
        }
        return new NetworkCost(name, config.Name, energy.Total, area.Total,
            (energy.Adc + energy.Calibration) / energy.Core,
            (area.Adc + area.Calibration) / area.Total, energy.Calibration / energy.Core, area.Calibration / area.Total,
                energy.Core, macs, costs.Sum(c => c.ConversionsPerInference), throughput, latency,
            2.0 * macs / energy.Total / 1e12, 2.0 * macs * throughput / area.Total / 1e12, energy, area, costs,
                config.Cost, costs.Sum(c => c.CompensationEnergyPerEventJ),
            (costs.Count == 0 ? 0 : costs.Max(c => c.TestTimeS)) + compTestS,
            costs.Sum(c => c.TestEnergyJ) + compTestE);
    }

    /// <summary>Bits of a gain register (<see cref="Crossbar.OutputGainCalibration"/>: 3 integer, 8 fraction).
    /// </summary>
    const int GainRegisterBits = 3 + Crossbar.OutputGainCalibration.GainFractionBits;
    /// <summary>One gain multiply-add per multiplier and ns (s).</summary>
    const double GainMultiplyTime = 1e-9;

    static LayerCost Digital(string name, long k, long n, long vectors, CostConfig cost)
    {
        long macs = k * n * vectors;
        double d45 = TechnologyScaling.Energy(cost.NodeNm, cost.Supply, 45);
        var energy = EnergyBreakdown.Zero with { DigitalLayers = macs * DigitalMacEnergy45 * d45 };
        return new LayerCost(name, true, k, n, vectors, macs, 0, 0, 0, 0, 0, 0, macs / DigitalMacsPerSecond, energy,
            AreaBreakdown.Zero);
    }

    /// <summary>One analog layer on <paramref name="hw"/>, with the design's deployment compensation if any.</summary>
    public static LayerCost Analog(string name, long k, long n, long vectors, LayerHardware hw, CostConfig cost,
        CompensationConfig? compensation = null)
    {
        var core = hw.Core;
        var map = new Crossbar.LayerMapping(core, k, n);
        int tiles = map.Tiles, s = map.Slices, c = core.Cycles, arraysPerTile = map.ArraysPerTile, arrays =
            map.Arrays, adcs = map.Adcs;
        long physColumns = map.PhysicalColumns, convertedColumns = map.ConvertedColumns;
        long conversions = vectors * tiles * c * convertedColumns;
        double sampleRate = core.AdcShare / cost.CycleTime;
        var adc = AdcCostModel.Price(hw.Adc, sampleRate, cost.NodeNm, cost.Supply);
        double d45 = TechnologyScaling.Energy(cost.NodeNm, cost.Supply, 45);
        double s28 = TechnologyScaling.Area(cost.NodeNm, 28);

        // Cells crossed per cycle: every used row of every tile drives its physical columns.
        double cellsPerCycle = (double)k * physColumns;
        // The array mode prices its cells and bit lines (Crossbar/ArrayModes), the cell technology its read.
        var array = Crossbar.ArrayModel.Of(hw.Array);
        double driveVoltage = array.DriveVoltage(hw);
        double cellEnergy = array.CellEnergy(hw, cost);
        double arraysE = vectors * c * cellsPerCycle * cellEnergy;
        if (array.ColumnCapacitance(hw) is > 0 and var cPar)
            arraysE += vectors * c * tiles * physColumns * cPar * driveVoltage * driveVoltage;
        double rowsPerCycle = k;
        double wire = WireCapacitancePerCell * Math.Min(physColumns, (long)core.Columns * arraysPerTile);
        double driversE = vectors * c * rowsPerCycle * (cost.InputActivity * wire * driveVoltage * driveVoltage
                          + (core.InputMode == InputMode.Dac ? core.CycleBits * DacEnergyPerBit45 * d45 : 0));
        int accBits = hw.Adc.Bits + core.CycleBits * (c - 1) + core.BitsPerCell * (s - 1);
        double shiftAddE = conversions * AdcCostModel.Add8Energy45 * accBits / 8.0 * d45;
        double accumulationE = vectors * n * Math.Max(0, tiles - 1) * Add32Energy45 * d45;
        double buffersE = vectors * (k + n) * cost.BufferBits * SramEnergyPerBit45 * d45;
        // Offset trim: one register per output column and one subtraction per output and vector, in the digital back
        // end.
        double trimE = hw.Adc.OffsetTrim ? vectors * n * Add32Energy45 * d45 : 0;
        double trimArea = hw.Adc.OffsetTrim ? n * (double)accBits * AdderAreaPerBit28 * s28 : 0;
        // Global drift compensation: one scale register per tile, and a multiply (16 x accBits bits) per output,
        // tile and vector.
        bool compensates = hw.Cell.DriftCompensation;
        double driftE = compensates ? vectors * n * tiles * AdcCostModel.Mult8Energy45 * 16 * accBits / 64.0 * d45 : 0;
        double driftArea = compensates ? tiles * (16 + 16.0 * accBits) * AdderAreaPerBit28 * s28 : 0;
        // Deployment compensation: gain registers (a multiply-add per output and vector); the per-chip measurement's
        // accumulators (sum and sum of squares per output) and squarer.
        bool gains = compensation is { OutputGain: true }, measures = compensation is { Any: true };
        double gainE = gains ? vectors * n * (AdcCostModel.Mult8Energy45 * GainRegisterBits * accBits / 64.0
            + Add32Energy45) * d45 : 0;
        // Multipliers for the layer's n outputs per vector (one vector per C m t_cycle), one product per ns each.
        double multipliers = Math.Ceiling(n * GainMultiplyTime / (c * core.AdcShare * cost.CycleTime));
        double gainArea = gains
            ? (n * (double)(GainRegisterBits + accBits) + multipliers * GainRegisterBits * accBits)
            * AdderAreaPerBit28 * s28 : 0;
        double statsArea = measures ? (n * 2 * 32.0 + 16 * 16) * AdderAreaPerBit28 * s28 : 0;
        double statsTestE = measures ? (compensation!.Images * vectors * n
            * (2 * Add32Energy45 + AdcCostModel.Mult8Energy45 * 4)) * d45 : 0;
        var energy =
            new EnergyBreakdown(arraysE, driversE, conversions * adc.EnergyPerConversion,
            conversions * adc.CalibrationEnergyPerConversion + trimE + driftE + gainE,
            shiftAddE, accumulationE, buffersE, 0);

        double f = cost.NodeNm * 1e-9;
        double cellArea = arrays * (double)core.Rows * core.Columns * CellAreaF2(hw.Cell, cost) * f * f;
        double driverArea =
            arrays * (double)core.Rows
            * (DriverAreaPerRow28 + (core.InputMode == InputMode.Dac ? core.CycleBits * DacAreaPerBit28 : 0)) * s28;
        double adderArea = adcs * accBits * AdderAreaPerBit28 * s28;
        double bufferArea = 2.0 * (k + n) * cost.BufferBits * BufferAreaPerBit28 * s28;
        const double mm2 = 1e6;
        var area = new AreaBreakdown(cellArea * mm2, driverArea * mm2, adcs * adc.Area * mm2,
            (adcs * adc.CalibrationArea + trimArea + driftArea + gainArea + statsArea) * mm2, adderArea * mm2,
            bufferArea * mm2);
        double latency = vectors * c * core.AdcShare * cost.CycleTime;
        // Each compensation event (at a read time) runs one known-input vector per tile for the drift scales and one
        // zero-input vector for a retaken trim, each at the energy of an inference's vector.
        int eventVectors = (compensates ? 1 : 0) + (hw.Adc.OffsetTrim && hw.Adc.OffsetRetrim ? 1 : 0);
        double eventE = eventVectors * (arraysE + driversE + conversions * adc.TotalEnergy + shiftAddE) / vectors;
        // Per-chip test: the trim's zero-input vector; the calibration's code-density test of every ADC.
        double vectorLatency = latency / vectors, vectorEnergy = (arraysE + driversE + conversions * adc.TotalEnergy
            + shiftAddE) / vectors;
        double trimTestS = hw.Adc.OffsetTrim ? vectorLatency : 0, trimTestE = hw.Adc.OffsetTrim ? vectorEnergy : 0;
        double densityConversions = hw.Adc.Calibration == CalibrationKind.None ? 0
            : Math.Pow(2, hw.Adc.Bits) * CodeDensityHitsPerCode;
        double testS = trimTestS + densityConversions / sampleRate;
        double testE = trimTestE + adcs * densityConversions * adc.EnergyPerConversion
            + statsTestE;
        return new LayerCost(name, false, k, n, vectors, k * n * vectors, tiles, arrays, adcs, conversions,
            adc.TotalEnergy, sampleRate, latency, energy, area, eventE, testS, testE);
    }
}
