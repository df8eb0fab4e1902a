using ImcSharp.Config;
using ImcSharp.Converters;

namespace ImcSharp.Cost;

/// <summary>Energy (J per conversion) and area (m^2 per ADC instance) of one ADC, with the calibration's share.</summary>
public sealed record AdcCost(double EnergyPerConversion, double Area, double CalibrationEnergyPerConversion, double CalibrationArea, double SampleRate)
{
    public double TotalEnergy => EnergyPerConversion + CalibrationEnergyPerConversion;
    public double TotalArea => Area + CalibrationArea;
}

/// <summary>
/// ADC energy and area by architecture, resolution N, sample rate f_s and node. Each architecture
/// is priced bottom-up from what it switches per conversion, then floored by the survey envelope:
///   E = max(E_arch, E_Walden, E_Schreier),  E_Walden = FOM_W,env 2^N,
///   E_Schreier = 10^((6.02 N + 1.76 - FOM_S,env) / 10) / 2   (from FOM_S = SNDR + 10 log10(f_s / 2P)),
///   E_arch = (switching energy) (1 + f_s / f_c),  f_c = f_c,28 (28 nm / node)
/// (designs faster than the corner pay for speed, the envelope's high-rate slope). Switching energy
/// per architecture (d = (node / 28 nm)(V / 0.9 V)^2 scales digital and comparator energy):
///   flash: (2^N - 1) E_cmp d + N E_logic d                      (one decision per comparator, encoder)
///   SAR: N (E_cmp + E_logic) d + 1/2 2^N C_u(N) V^2            (N decisions; monotonic cap-DAC switching, Liu 2010)
///   ramp: 2^N (2 E_ff + E_cmp,ct) d + 2^N E_ramp / 128          (2^N clocks, ripple counter ~2 toggles/clock, shared ramp)
///   CCO/VCO: (f_0 W + 2^(N-1)) (E_osc + 2 E_ff) d               (oscillator cycles over the window, counter)
///   integrator: 2^N (2 E_ff + E_cmp,ct) d + C_int V^2            (counter while integrating, integrator reset)
///   sense amp: E_cmp d
/// C_u(N) = C_u,8 2^max(0, N-8): the unit capacitor grows to keep mid-scale DNL within spec.
/// Areas: comparator, flip-flop and logic area scale with node^2; capacitors are matching-limited
/// and do not scale; a layout overhead covers references, routing and decoupling.
/// </summary>
public static class AdcCostModel
{
    // Survey envelope. Murmann, "ADC Performance Survey 1997-2024" (Stanford, online): best Walden FOM
    // at low rates ~0.5 fJ/conv-step, best Schreier FOM ~185 dB.
    public const double WaldenFomEnvelope = 0.5e-15;
    public const double SchreierFomEnvelope = 185.0;
    // Speed corner of the Walden envelope at 28 nm (the survey's FOM rises roughly linearly above ~1 GS/s).
    public const double CornerHz28 = 1e9;
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
    public const double LayoutOverhead = 3.0;
    // Digital calibration: Horowitz, "Computing's energy problem", ISSCC 2014 (45 nm, 0.9 V):
    // 8-bit add 0.03 pJ, 8-bit multiply 0.2 pJ; small register-file read ~ 2 fJ/bit (28 nm, 1/8 of an 8 kB SRAM's 0.16 pJ/bit).
    public const double Add8Energy45 = 0.03e-12;
    public const double Mult8Energy45 = 0.2e-12;
    public const double RegisterFileReadPerBit = 2e-15;
    public const double RegisterFileAreaPerBit = 0.5e-12;

    public static double DigitalScale(double nodeNm, double supply) => nodeNm / 28.0 * (supply / 0.9) * (supply / 0.9);
    static double AreaScale(double nodeNm) => nodeNm / 28.0 * (nodeNm / 28.0);

    /// <summary>Envelope energy per conversion at N bits (J).</summary>
    public static double Envelope(int bits) =>
        Math.Max(WaldenFomEnvelope * Math.Pow(2, bits), Math.Pow(10, (6.02 * bits + 1.76 - SchreierFomEnvelope) / 10) / 2);

    public static double UnitCapacitance(int bits) => UnitCapacitance8 * Math.Pow(2, Math.Max(0, bits - 8));

    /// <summary>Energy per conversion (J) of one ADC, without calibration.</summary>
    public static double Energy(AdcConfig adc, double sampleRate, double nodeNm, double supply)
    {
        int n = adc.Bits;
        double d = DigitalScale(nodeNm, supply), codes = Math.Pow(2, n);
        double arch = adc.Kind switch
        {
            AdcKind.Flash => (codes - 1) * ComparatorEnergy * d + n * LogicEnergyPerBit * d,
            AdcKind.Sar or AdcKind.Ideal or AdcKind.Population => n * (ComparatorEnergy + LogicEnergyPerBit) * d + 0.5 * codes * UnitCapacitance(n) * supply * supply,
            AdcKind.Ramp => codes * (2 * FlipFlopEnergy + ContinuousComparatorEnergyPerClock) * d + codes * RampEnergyPerClock / 128,
            AdcKind.Cco or AdcKind.Vco => (adc.Oscillator.F0 * adc.Oscillator.Window * codes / Math.Max(1, adc.Oscillator.K * adc.Oscillator.Window * adc.Oscillator.FullScale) + codes / 2)
                                          * (OscillatorCycleCapacitance * 0.81 + 2 * FlipFlopEnergy) * d,
            AdcKind.Integrator => codes * (2 * FlipFlopEnergy + ContinuousComparatorEnergyPerClock) * d + IntegratorCapacitance * supply * supply,
            AdcKind.SenseAmp => ComparatorEnergy * d,
            _ => throw new InvalidOperationException(),
        };
        double corner = CornerHz28 * 28.0 / nodeNm;
        return Math.Max(arch * (1 + sampleRate / corner), Envelope(n));
    }

    /// <summary>Area (m^2) of one ADC instance, without calibration.</summary>
    public static double Area(AdcConfig adc, double nodeNm)
    {
        int n = adc.Bits;
        double s = AreaScale(nodeNm), codes = Math.Pow(2, n);
        double core = adc.Kind switch
        {
            AdcKind.Flash => (codes - 1) * ComparatorArea * s + n * LogicAreaPerBit * s,
            AdcKind.Sar or AdcKind.Ideal or AdcKind.Population => ComparatorArea * s + n * LogicAreaPerBit * s + codes * UnitCapacitance(n) * CapacitorAreaPerFarad,
            AdcKind.Ramp => ComparatorArea * s + n * FlipFlopArea * s,
            AdcKind.Cco or AdcKind.Vco => (5 * OscillatorStageArea + n * FlipFlopArea + ComparatorArea) * s,
            AdcKind.Integrator => (ComparatorArea + n * FlipFlopArea) * s + IntegratorCapacitance * CapacitorAreaPerFarad,
            AdcKind.SenseAmp => ComparatorArea * s,
            _ => throw new InvalidOperationException(),
        };
        return core * LayoutOverhead;
    }

    /// <summary>
    /// Digital calibration per conversion and per ADC (see <see cref="Calibration.Cost"/>): two-point
    /// trim = one N x (N+6)-bit multiply per conversion (the per-column gain; the offset folds into
    /// the output bias, the add into the shift-and-add), 2 (N+6)-bit coefficient registers;
    /// LUT = one (N+2)-bit register-file read per conversion, 2^N (N+2) bits of storage.
    /// </summary>
    public static (double Energy, double Area) CalibrationCost(CalibrationKind kind, int bits, double nodeNm, double supply)
    {
        var c = Converters.Calibration.Cost(kind, bits);
        double d45 = nodeNm / 45.0 * (supply / 0.9) * (supply / 0.9), s = AreaScale(nodeNm);
        return kind switch
        {
            CalibrationKind.TwoPoint => (Mult8Energy45 * bits * (bits + 6) / 64.0 * d45,
                c.StorageBitsPerAdc * FlipFlopArea * s * LayoutOverhead),
            CalibrationKind.Lut => ((bits + 2) * RegisterFileReadPerBit * DigitalScale(nodeNm, supply),
                c.StorageBitsPerAdc * RegisterFileAreaPerBit * s * LayoutOverhead),
            _ => (0, 0),
        };
    }

    public static AdcCost Price(AdcConfig adc, double sampleRate, double nodeNm, double supply)
    {
        var (ce, ca) = CalibrationCost(adc.Calibration, adc.Bits, nodeNm, supply);
        return new AdcCost(Energy(adc, sampleRate, nodeNm, supply), Area(adc, nodeNm), ce, ca, sampleRate);
    }
}
