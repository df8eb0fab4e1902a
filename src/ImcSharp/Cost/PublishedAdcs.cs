using ImcSharp.Config;

namespace ImcSharp.Cost;

/// <summary>A published ADC (or an IMC macro's ADC) the cost model is checked against.</summary>
public sealed record PublishedAdc(string Source, string Kind, int Bits, double SampleRate, double NodeNm, double Supply,
    double EnergyPerConversionJ, double? AreaMm2);

/// <summary>The model against published designs: energy per conversion = power / sample rate.</summary>
public sealed record ModelCheck(PublishedAdc Published, double ModelEnergyJ, double EnergyError, double? ModelAreaMm2,
    double? AreaError);

/// <summary>
/// Published converters outside the survey (<see cref="AdcSurvey"/> holds the ISSCC and VLSI ones, Kull ISSCC 2013 and
/// El-Chammas VLSI 2010 among them), checked against the calibrated model; not used in the fit.
/// </summary>
public static class PublishedAdcs
{
    public static readonly PublishedAdc[] All =
    {
        new("Shafiee et al. (ISAAC), ISCA 2016: 8b 1.28 GS/s SAR per 128 columns, 32 nm, 2 mW, 0.0012 mm2", "sar", 8,
            1.28e9, 32, 1.0, 2e-3 / 1.28e9, 0.0012),
        new("Liu et al., JSSC 2010: 10b 50 MS/s monotonic-switching SAR, 0.13 um, 826 uW, 0.052 mm2", "sar", 10, 50e6,
            130, 1.2, 826e-6 / 50e6, 0.052),
    };

    /// <summary>Model value and relative error (model / published - 1) for every published point.</summary>
    public static List<ModelCheck> Check() => All.Select(p =>
    {
        var adc = new AdcConfig { Kind = p.Kind, Bits = p.Bits };
        double e = AdcCostModel.Energy(adc, p.SampleRate, p.NodeNm, p.Supply);
        double? a = p.AreaMm2 is null ? null : AdcCostModel.Area(adc, p.NodeNm) * 1e6;
        return new ModelCheck(p, e, e / p.EnergyPerConversionJ - 1, a, a / p.AreaMm2 - 1);
    }).ToList();
}
