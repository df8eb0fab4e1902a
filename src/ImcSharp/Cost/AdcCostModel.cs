using ImcSharp.Config;
using ImcSharp.Converters;

namespace ImcSharp.Cost;

/// <summary>
/// Energy (J per conversion) and area (m^2 per ADC instance) of one ADC, with the calibration's share.
/// </summary>
public sealed record AdcCost(double EnergyPerConversion, double Area, double CalibrationEnergyPerConversion,
    double CalibrationArea, double SampleRate)
{
    public double TotalEnergy => EnergyPerConversion + CalibrationEnergyPerConversion;
    public double TotalArea => Area + CalibrationArea;
}

/// <summary>
/// ADC energy and area by architecture, resolution N, sample rate f_s and node. Each architecture
/// is priced bottom-up from what it switches per conversion (its own formula, beside its model in
/// Converters/Architectures, from the building blocks in <see cref="AdcTechnology"/>), calibrated on the published
/// converters of its kind (<see cref="AdcSurvey"/>: scale s_k, speed corner f_c,k), then floored by the survey
/// envelope:
///   E = max(s_k E_arch (1 + f_s / f_c),  E_Walden, E_Schreier),  f_c = f_c,k (28 nm / node),
///   E_Walden = FOM_W,env 2^N,  E_Schreier = 10^((6.02 N + 1.76 - FOM_S,env) / 10) / 2
///   (from FOM_S = SNDR + 10 log10(f_s / 2P)); kinds without survey entries: s = 1, f_c,28 = 1 GHz.
/// Areas: comparator, flip-flop and logic area scale with node^2; capacitors are matching-limited
/// and do not scale; a layout overhead covers references, routing and decoupling; times the kind's area scale a_k.
/// </summary>
public static class AdcCostModel
{
    // Survey envelope. Murmann, "ADC Performance Survey 1997-2024" (Stanford, online): best Walden FOM
    // at low rates ~0.5 fJ/conv-step, best Schreier FOM ~185 dB.
    public const double WaldenFomEnvelope = 0.5e-15;
    public const double SchreierFomEnvelope = 185.0;
    // Speed corner at 28 nm for kinds the survey does not calibrate (the survey's FOM rises roughly linearly above
    // ~1 GS/s).
    public const double CornerHz28 = 1e9;
    public const double LayoutOverhead = 3.0;
    // Digital calibration: Horowitz, "Computing's energy problem", ISSCC 2014 (45 nm, 0.9 V):
    // 8-bit add 0.03 pJ, 8-bit multiply 0.2 pJ; small register-file read ~ 2 fJ/bit (28 nm, 1/8 of an 8 kB SRAM's 0.16
    // pJ/bit).
    public const double Add8Energy45 = 0.03e-12;
    public const double Mult8Energy45 = 0.2e-12;
    public const double RegisterFileReadPerBit = 2e-15;
    public const double RegisterFileAreaPerBit = 0.5e-12;


    /// <summary>Envelope energy per conversion at N bits (J).</summary>
    public static double Envelope(int bits) =>
        Math.Max(WaldenFomEnvelope * Math.Pow(2, bits),
            Math.Pow(10, (6.02 * bits + 1.76 - SchreierFomEnvelope) / 10) / 2);

    /// <summary>
    /// Energy per conversion (J) of one ADC, without calibration: its architecture's switching energy, the speed
    /// penalty, the envelope floor.
    /// </summary>
    public static double Energy(AdcConfig adc, double sampleRate, double nodeNm, double supply)
    {
        var arch = AdcArchitecture.Of(adc);
        var fit = arch.SurveyKind is { } kind ? AdcSurvey.For(kind) : null;
        return Calibrated(arch.SwitchingEnergy(adc, new AdcTechnology(nodeNm, supply)), fit?.EnergyScale ?? 1,
            fit?.CornerHz28 ?? CornerHz28, sampleRate, nodeNm, adc.Bits);
    }

    /// <summary>
    /// E = max(scale E_arch (1 + f_s / (f_c,28 28 nm / node)), envelope at N bits): the calibrated price of a
    /// bottom-up switching energy <paramref name="bottomUp"/> (J).
    /// </summary>
    public static double Calibrated(double bottomUp, double scale, double cornerHz28, double sampleRate,
        double nodeNm, int bits) =>
        Math.Max(scale * bottomUp * (1 + sampleRate / (cornerHz28 * 28.0 / nodeNm)), Envelope(bits));

    /// <summary>
    /// Area (m^2) of one ADC instance, without calibration: its architecture's core area with the layout overhead,
    /// times its kind's survey area scale.
    /// </summary>
    public static double Area(AdcConfig adc, double nodeNm) =>
        BottomUpArea(adc, nodeNm) * (AdcArchitecture.Of(adc).SurveyKind is { } kind ? AdcSurvey.For(kind).AreaScale
            : 1);

    /// <summary>The architecture's core area with the layout overhead (m^2), before the survey's area scale.</summary>
    public static double BottomUpArea(AdcConfig adc, double nodeNm) =>
        AdcArchitecture.Of(adc).CoreArea(adc, new AdcTechnology(nodeNm, 0.9)) * LayoutOverhead;

    /// <summary>
    /// Digital calibration per conversion and per ADC (see <see cref="Calibration.Cost"/>): two-point
    /// trim = one N x (N+6)-bit multiply per conversion (the per-column gain; the offset folds into
    /// the output bias, the add into the shift-and-add), 2 (N+6)-bit coefficient registers;
    /// LUT = one (N+2)-bit register-file read per conversion, 2^N (N+2) bits of storage.
    /// </summary>
    public static (double Energy, double Area) CalibrationCost(CalibrationKind kind, int bits, double nodeNm,
        double supply)
    {
        var c = Converters.Calibration.Cost(kind, bits);
        double d45 = TechnologyScaling.Energy(nodeNm, supply, 45), s = TechnologyScaling.Area(nodeNm, 28);
        return kind switch
        {
            CalibrationKind.TwoPoint => (Mult8Energy45 * bits * (bits + 6) / 64.0 * d45,
                c.StorageBitsPerAdc * AdcTechnology.FlipFlopArea * s * LayoutOverhead),
            CalibrationKind.Lut => ((bits + 2) * RegisterFileReadPerBit * AdcTechnology.DigitalScale(nodeNm, supply),
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
