namespace ImcSharp.Converters;

/// <summary>
/// Circuit building blocks an ADC architecture is priced from, at 28 nm and 0.9 V, and their
/// scaling to the design's node and supply: digital and comparator energy with
/// d = (node / 28 nm)(V / 0.9 V)^2, digital area with s = (node / 28 nm)^2; capacitors are
/// matching-limited and do not scale.
/// </summary>
public sealed record AdcTechnology(double NodeNm, double Supply)
{
    // StrongARM latch comparator: tens of fJ per decision in 28-65 nm (Razavi, "The StrongARM Latch",
    // IEEE Solid-State Circuits Magazine, 2015). 28 nm, 0.9 V.
    public const double ComparatorEnergy = 20e-15;
    // Continuous-time comparator of a ramp/integrator ADC, bias energy per clock period (28 nm).
    public const double ContinuousComparatorEnergyPerClock = 2e-15;
    // Asynchronous SAR logic and registers per bit cycle (28 nm); flip-flop toggle (28 nm).
    public const double LogicEnergyPerBit = 20e-15;
    public const double FlipFlopEnergy = 5e-15;
    // SAR unit capacitor at <= 8 bits: ~1 fF MOM units (e.g. Harpe et al., JSSC 2011, sub-fF units).
    public const double UnitCapacitance8 = 1e-15;
    // Ring-oscillator cycle: 5 stages x 2 transitions x ~1 fF (28 nm).
    public const double OscillatorCycleCapacitance = 10e-15;
    // Shared ramp generator energy per clock, amortised over 128 columns; integrator capacitor.
    public const double RampEnergyPerClock = 50e-15;
    public const double IntegratorCapacitance = 50e-15;
    // Areas at 28 nm (m^2): StrongARM comparator, flip-flop, SAR logic per bit, MOM density ~1 fF/um^2 with spacing.
    public const double ComparatorArea = 20e-12;
    public const double FlipFlopArea = 5e-12;
    public const double LogicAreaPerBit = 15e-12;
    public const double CapacitorAreaPerFarad = 1e-12 / 1e-15;
    public const double OscillatorStageArea = 2e-12;

    /// <summary>d: energy scale of digital gates and comparators.</summary>
    public double EnergyScale => DigitalScale(NodeNm, Supply);
    /// <summary>s: area scale of digital gates and comparators.</summary>
    public double AreaScale => Config.TechnologyScaling.Area(NodeNm, 28);

    public static double DigitalScale(double nodeNm, double supply) =>
        Config.TechnologyScaling.Energy(nodeNm, supply, 28);

    /// <summary>C_u(N) = C_u,8 2^max(0, N-8): the unit capacitor grows to keep mid-scale DNL within spec.</summary>
    public static double UnitCapacitance(int bits) => UnitCapacitance8 * Math.Pow(2, Math.Max(0, bits - 8));
}
