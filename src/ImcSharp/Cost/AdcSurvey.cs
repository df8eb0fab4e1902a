using System.Globalization;
using ImcSharp.Config;
using ImcSharp.Converters;

namespace ImcSharp.Cost;

/// <summary>
/// A published converter from Murmann's ADC survey (ISSCC and VLSI, 1997-2025): energy per conversion
/// E = P / f_s (J), Walden FOM_W = P / (2^ENOB f_s) (J per conversion step), Schreier FOM_S = SNDR +
/// 10 log10(f_s / 2P) (dB), ENOB = (SNDR - 1.76) / 6.02.
/// </summary>
public sealed record SurveyAdc(string Source, string Doi, string Title, string Architecture, string Kind,
    double NodeNm, double? Supply, int? Bits, double SndrDb, double SampleRate, double PowerW, double? AreaMm2)
{
    public double EnergyPerConversion => PowerW / SampleRate;
    public double Enob => (SndrDb - 1.76) / 6.02;
    public double WaldenFom => PowerW / (Math.Pow(2, Enob) * SampleRate);
    public double SchreierFom => SndrDb + 10 * Math.Log10(SampleRate / (2 * PowerW));
    /// <summary>
    /// Time-interleaved: its energy per conversion is a channel's, but its area is many channels' and the
    /// interleaving's, so it is left out of the area fit and check.
    /// </summary>
    public bool Interleaved => Architecture.Split(',').Any(p => p.Trim() == "TI");
    /// <summary>The resolution it is priced at: the title's nominal bits, else ENOB + 1 rounded.</summary>
    public int PricedBits => Bits ?? (int)Math.Round(Enob + 1);
    /// <summary>The supply it is priced at: the published one, else the node's usual core supply.</summary>
    public double PricedSupply => Supply ?? AdcSurvey.TypicalSupply(NodeNm);
}

/// <summary>
/// What the survey entries of one kind calibrate: the scale on the bottom-up switching energy, the speed corner at
/// 28 nm, and the scale on the bottom-up area (1 where no entry publishes an area).
/// </summary>
public sealed record SurveyFit(string Kind, double EnergyScale, double CornerHz28, double AreaScale, int Converters,
    int WithArea);

/// <summary>A survey converter against the model fitted without it (leave-one-out).</summary>
public sealed record SurveyCheck(SurveyAdc Adc, double ModelEnergyJ, double EnergyError, double? ModelAreaMm2,
    double? AreaError);

/// <summary>
/// The survey entries the converter prices are calibrated on (Cost/Data/adc-survey.csv, from
/// scripts/adc-survey-extract.py), and the calibration. Per kind k, with E_arch the architecture's bottom-up switching
/// energy at the entry's bits, node and supply (<see cref="AdcArchitecture.SwitchingEnergy"/>):
///   E_model = max(s_k E_arch (1 + f_s / (f_c,k 28 nm / node)), E_envelope)
/// s_k = 10^median(log10(E_pub / (E_arch (1 + f_s / f_c)))) for each corner f_c,k on a grid of 10^8..10^11.5 Hz
/// (0.05 decades), keeping the corner of the least sum of |log10(E_model / E_pub)|; area scale a_k =
/// 10^median(log10(A_pub / A_model)) over the entries of <see cref="AreaFits"/> (1 with fewer than
/// <see cref="MinimumAreaEntries"/>). Medians and absolute log errors keep one odd design from moving the fit.
/// </summary>
public static class AdcSurvey
{
    static readonly Lazy<IReadOnlyList<SurveyAdc>> Entries = new(Load);
    static readonly Dictionary<string, SurveyFit> Fits = new();

    /// <summary>The survey kinds, and the architecture each is priced with.</summary>
    public static readonly IReadOnlyDictionary<string, string> PricedAs =
        new Dictionary<string, string> { ["sar"] = "sar", ["flash"] = "flash", ["oscillator"] = "cco" };

    public static IReadOnlyList<SurveyAdc> All => Entries.Value;

    /// <summary>A node's usual core supply (V) when the survey gives none.</summary>
    public static double TypicalSupply(double nodeNm) =>
        nodeNm >= 180 ? 1.8 : nodeNm >= 65 ? 1.2 : nodeNm >= 40 ? 1.1 : nodeNm >= 16 ? 0.9 : 0.8;

    /// <summary>The fit of every entry of <paramref name="kind"/> (cached).</summary>
    public static SurveyFit For(string kind)
    {
        lock (Fits)
        {
            if (!Fits.TryGetValue(kind, out var fit)) Fits[kind] = fit = Fit(kind, All.Where(a => a.Kind == kind));
            return fit;
        }
    }

    static AdcConfig Priced(string kind, int bits) => new() { Kind = PricedAs[kind], Bits = bits };

    /// <summary>Bottom-up switching energy (J) of an entry, before the calibration and the envelope.</summary>
    public static double BottomUpEnergy(SurveyAdc a) =>
        AdcArchitecture.Of(Priced(a.Kind, a.PricedBits)).SwitchingEnergy(Priced(a.Kind, a.PricedBits),
            new AdcTechnology(a.NodeNm, a.PricedSupply));

    /// <summary>Bottom-up area (mm^2) of an entry with the layout overhead, before the calibration.</summary>
    public static double BottomUpArea(SurveyAdc a) =>
        AdcCostModel.BottomUpArea(Priced(a.Kind, a.PricedBits), a.NodeNm) * 1e6;

    /// <summary>The model energy (J) of an entry under <paramref name="fit"/>.</summary>
    public static double Energy(SurveyAdc a, SurveyFit fit) =>
        AdcCostModel.Calibrated(BottomUpEnergy(a), fit.EnergyScale, fit.CornerHz28, a.SampleRate, a.NodeNm,
            a.PricedBits);

    /// <summary>Fits one kind's energy scale, speed corner and area scale to <paramref name="entries"/>.</summary>
    public static SurveyFit Fit(string kind, IEnumerable<SurveyAdc> entries)
    {
        var list = entries.ToList();
        if (list.Count == 0) throw new ArgumentException($"no survey entries of kind {kind}", nameof(entries));
        var bottomUp = list.Select(BottomUpEnergy).ToArray();
        SurveyFit? best = null;
        double bestLoss = double.PositiveInfinity;
        for (int step = 0; step <= 70; step++)
        {
            double corner = Math.Pow(10, 8 + 0.05 * step);
            double scale = Math.Pow(10, Median(list.Select((a, i) =>
                Math.Log10(a.EnergyPerConversion / (bottomUp[i] * (1 + a.SampleRate / (corner * 28 / a.NodeNm)))))));
            var fit = new SurveyFit(kind, scale, corner, 1, list.Count, 0);
            double loss = list.Select((a, i) => Math.Abs(Math.Log10(AdcCostModel.Calibrated(bottomUp[i], scale,
                corner, a.SampleRate, a.NodeNm, a.PricedBits) / a.EnergyPerConversion))).Sum();
            if (loss < bestLoss) { bestLoss = loss; best = fit; }
        }
        var withArea = list.Where(AreaFits).ToList();
        double areaScale = withArea.Count < MinimumAreaEntries ? 1
            : Math.Pow(10, Median(withArea.Select(a => Math.Log10(a.AreaMm2!.Value / BottomUpArea(a)))));
        return best! with { AreaScale = areaScale, WithArea = withArea.Count };
    }

    /// <summary>Fewer area entries than this leave a kind's bottom-up area as it is.</summary>
    public const int MinimumAreaEntries = 3;

    /// <summary>
    /// Whether an entry's area informs the area scale: published, not interleaved, and at a rate IMC converters run
    /// at (up to 1 GS/s; the survey's multi-GS/s time-domain converters are TDCs with clocking and calibration, not
    /// the counting converter of a bit line).
    /// </summary>
    public static bool AreaFits(SurveyAdc a) => a.AreaMm2 is > 0 && !a.Interleaved && a.SampleRate <= 1e9;

    /// <summary>Every entry against the fit of its kind's other entries (leave-one-out).</summary>
    public static List<SurveyCheck> CrossValidate() => All.Select((a, i) =>
    {
        var fit = Fit(a.Kind, All.Where((b, j) => j != i && b.Kind == a.Kind));
        double e = Energy(a, fit);
        double? area = a.AreaMm2 is > 0 && !a.Interleaved ? BottomUpArea(a) * fit.AreaScale : null;
        return new SurveyCheck(a, e, e / a.EnergyPerConversion - 1, area, area / a.AreaMm2 - 1);
    }).ToList();

    /// <summary>The median (NaN for none).</summary>
    public static double Median(IEnumerable<double> xs)
    {
        var s = xs.OrderBy(x => x).ToArray();
        return s.Length == 0 ? double.NaN
            : s.Length % 2 == 1 ? s[s.Length / 2] : (s[s.Length / 2 - 1] + s[s.Length / 2]) / 2;
    }

    static IReadOnlyList<SurveyAdc> Load()
    {
        using var stream = typeof(AdcSurvey).Assembly.GetManifestResourceStream("ImcSharp.Cost.adc-survey.csv")
            ?? throw new InvalidOperationException("the ADC survey table is not embedded in ImcSharp");
        using var reader = new StreamReader(stream);
        var lines = reader.ReadToEnd().Split('\n').Where(l => l.Length > 0 && !l.StartsWith('#')).ToList();
        var header = CurveImport.SplitCsvLine(lines[0], ',');
        int Col(string name) => Array.IndexOf(header, name) is >= 0 and var i ? i
            : throw new InvalidOperationException($"adc-survey.csv: no column {name}");
        double D(string s) => double.Parse(s, CultureInfo.InvariantCulture);
        double? Opt(string s) => s.Length == 0 ? null : D(s);
        return lines.Skip(1).Select((l, row) =>
        {
            var f = CurveImport.SplitCsvLine(l, ',', "adc-survey.csv", row + 2);
            return new SurveyAdc(f[Col("source")], f[Col("doi")], f[Col("title")], f[Col("architecture")],
                f[Col("kind")], D(f[Col("node_nm")]), Opt(f[Col("supply_v")]),
                f[Col("bits")].Length == 0 ? null : int.Parse(f[Col("bits")], CultureInfo.InvariantCulture),
                D(f[Col("sndr_db")]), D(f[Col("sample_rate_hz")]), D(f[Col("power_w")]), Opt(f[Col("area_mm2")]));
        }).ToList();
    }
}
