using System.Globalization;
using System.Text;
using System.Text.Json;
using ImcSharp.Cli;
using ImcSharp.Config;
using ImcSharp.Converters;
using ImcSharp.Crossbar;
using TorchSharp;
using static TorchSharp.torch;

namespace ImcSharp.Tests.Converters;

public class ImportTests
{
    const double Window = 1e-6, FullScale = 10e-6, Subtract = 20;
    static readonly string[] Corners = { "tt", "ff", "ss" };

    // A linear CCO per corner and Monte Carlo run: f = f0 + K I.
    static (double F0, double K) Params(int corner, int mc) =>
        (20e6 * (1 + 0.05 * (corner - 1)) + 1e5 * mc, 1.27e13 * (1 + 0.03 * (corner - 1)) * (1 + 0.004 * mc));

    static double Threshold(int corner, int mc, int k)
    {
        var (f0, kk) = Params(corner, mc);
        return ((k - 0.5 + Subtract) / Window - f0) / kk / (FullScale / 127);
    }

    static string Write(string dir, string name, string text)
    {
        var p = Path.Combine(dir, name);
        File.WriteAllText(p, text);
        return p;
    }

    static string LongCsv(int corners, int mcs)
    {
        var sb = new StringBuilder("Point,Corner,Iin,mc_iteration,temperature,freq\n");
        int point = 0;
        for (int c = 0; c < corners; c++)
            for (int m = 0; m < mcs; m++)
                for (int i = 0; i <= 200; i++)
                {
                    double x = FullScale * i / 200 * 1.2;                 // beyond full scale, as a sweep would go
                    var (f0, k) = Params(c, m);
                    // Mixed notations, as simulators write them; the output is computed from the written input.
                    string xs = i % 2 == 0 ? x.ToString("0.00E+00", CultureInfo.InvariantCulture) : (x * 1e9).ToString("R", CultureInfo.InvariantCulture) + "e-9";
                    x = double.Parse(xs, CultureInfo.InvariantCulture);
                    sb.Append($"{point++},{Corners[c]},{xs},{m},27,{(f0 + k * x).ToString("R", CultureInfo.InvariantCulture)}\n");
                }
        sb.Append("\n");                                                  // trailing blank line
        return sb.ToString();
    }

    static ImportSpec LongSpec(string csv) => new()
    {
        File = csv, Layout = CsvLayout.Long, Bits = 7, Input = "Iin", Outputs = new() { "freq" }, Corner = "Corner", Instance = "mc_iteration",
        Conversion = OutputConversion.Frequency, Window = Window, SubtractCounts = Subtract, InputMin = 0, InputMax = FullScale,
    };

    [Fact]
    public void LongLayoutGivesBackTheCurvesThresholdsWithCornersAsGlobalLevel()
    {
        using var scope = NewDisposeScope();
        var dir = Synthetic.TempDir();
        var csv = Write(dir, "cco.csv", LongCsv(3, 4));
        var (pop, report) = CurveImport.Import(LongSpec(csv), Path.Combine(dir, "spec.json"));
        Assert.Equal(12, report.Instances);
        Assert.Equal(Corners, report.CornerNames);
        Assert.Equal(0, report.NonMonotonicCurves);
        for (int c = 0; c < 3; c++)
            for (int m = 0; m < 4; m++)
                foreach (int k in new[] { 1, 2, 64, 127 })
                {
                    double expected = Threshold(c, m, k), got = pop.Thresholds[c * 4 + m, k - 1].item<double>();
                    // A transition below the first input point is reported as -inf (the curve starts above it).
                    if (expected < 0) Assert.Equal(double.NegativeInfinity, got);
                    else Assert.Equal(expected, got, 6);
                }
        Assert.Equal(new[] { 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2 }, pop.Corner);
    }

    [Fact]
    public void WideLayoutOfCodesPerCornerWorks()
    {
        using var scope = NewDisposeScope();
        var sb = new StringBuilder("\"i\",tt,ff,ss\n");
        for (int i = 0; i <= 14000; i++)
        {
            double x = FullScale * i / 12700.0;
            sb.Append(x.ToString("R", CultureInfo.InvariantCulture));
            for (int c = 0; c < 3; c++)
            {
                var (f0, k) = Params(c, 0);
                double counts = (f0 + k * x) * Window - Subtract;
                sb.Append(',').Append(i == 7 && c == 1 ? "" : Math.Max(0, Math.Round(counts)).ToString(CultureInfo.InvariantCulture));   // one blank cell
            }
            sb.Append('\n');
        }
        var dir = Synthetic.TempDir();
        var csv = Write(dir, "wide.csv", sb.ToString());
        var spec = new ImportSpec { File = csv, Layout = CsvLayout.Wide, Bits = 7, Input = "i", InputMin = 0, InputMax = FullScale, AllowUnreachedCodes = true };
        var (pop, report) = CurveImport.Import(spec, Path.Combine(dir, "spec.json"));
        Assert.Equal(3, report.Corners);
        // A staircase sampled every 0.01 LSB: the crossing is found within half a sample.
        for (int c = 0; c < 3; c++)
            foreach (int k in new[] { 5, 60, 120 })
                Assert.Equal(Threshold(c, 0, k), pop.Thresholds[c, k - 1].item<double>(), 1);
    }

    [Fact]
    public void MonteCarloOnlyFileWorks()
    {
        using var scope = NewDisposeScope();
        var dir = Synthetic.TempDir();
        var csv = Write(dir, "mc.csv", LongCsv(1, 5));
        var (pop, report) = CurveImport.Import(LongSpec(csv) with { Corner = null }, Path.Combine(dir, "spec.json"));
        Assert.Equal(5, report.Instances);
        Assert.Equal(1, report.Corners);
        Assert.Equal(Threshold(0, 3, 50), pop.Thresholds[3, 49].item<double>(), 6);
    }

    [Fact]
    public void BadFilesGiveOneClearError()
    {
        var dir = Synthetic.TempDir();
        var spec = Path.Combine(dir, "spec.json");
        var good = LongCsv(1, 1);
        var missing = Write(dir, "missing.csv", good.Replace("freq", "frequency"));
        Assert.Contains("'freq'", Assert.Throws<ImcInputException>(() => CurveImport.Import(LongSpec(missing), spec)).Message);
        var lines = good.Split('\n');
        lines[5] = lines[5].Replace(",27,", ",27,").Substring(0, lines[5].LastIndexOf(',') + 1) + "abc";
        var bad = Write(dir, "bad.csv", string.Join('\n', lines));
        var e = Assert.Throws<ImcInputException>(() => CurveImport.Import(LongSpec(bad), spec));
        Assert.Contains("row 6", e.Message);
        Assert.Contains("'freq'", e.Message);
        var empty = Write(dir, "empty.csv", "");
        Assert.Contains("empty", Assert.Throws<ImcInputException>(() => CurveImport.Import(LongSpec(empty), spec)).Message);
        // A sweep that stops at half scale never reaches the top code.
        var half = Write(dir, "half.csv", string.Join('\n', good.Split('\n').Take(80)));
        Assert.Contains("never reaches code", Assert.Throws<ImcInputException>(() => CurveImport.Import(LongSpec(half), spec)).Message);
    }

    [Fact]
    public void ImportCommandWritesAPopulationThatAHardwareConfigUses()
    {
        var dir = Synthetic.TempDir();
        Write(dir, "cco.csv", LongCsv(3, 4));
        var specPath = Path.Combine(dir, "cco-import.json");
        File.WriteAllText(specPath, JsonSerializer.Serialize(LongSpec("cco.csv"), ImcSharp.IO.Json.Options));
        var json = Path.Combine(dir, "import.json");
        Assert.Equal(0, CliApp.Run(new[] { "adc", "import", specPath, "--out", Path.Combine(dir, "plots"), "--format", "png", "--json", json }));
        using var doc = JsonDocument.Parse(File.ReadAllText(json));
        Assert.Equal(12, doc.RootElement.GetProperty("statistics").GetProperty("instances").GetInt32());
        Assert.True(File.Exists(Path.Combine(dir, "plots", "transfer.png")));
        var popPath = doc.RootElement.GetProperty("population").GetString()!;

        using var scope = NewDisposeScope();
        var hw = new LayerHardware
        {
            Core = new CoreConfig { Rows = 64, Columns = 64, WeightBits = 8, BitsPerCell = 1, InputBits = 8 },
            Adc = new AdcConfig { Kind = "population", Bits = 7 }.With(new PopulationFiles { File = popPath }),
        };
        var (wq, ws) = WeightSlicing.Quantize(randn(10, 64), 8);
        using var chip = new ProgrammedLayer(wq, ws, hw, 1, 5);
        Assert.IsType<ThresholdAdc>(chip.Adc);
        var y = AnalogMvm.Forward(chip, InputEncoding.Quantize(rand(4, 64), 1.0 / 255, 8, false), false);
        Assert.Equal(new long[] { 4, 10 }, y.shape);
    }

    [Fact]
    public void PopulationFileKeepsInfiniteThresholdsBitForBit()
    {
        using var scope = NewDisposeScope();
        // Instance 0 already produces codes 1 and 2 at the lowest input; instance 1 never reaches the top two codes.
        var t = (arange(1, 8, ScalarType.Float64) - 0.5 + 1e-13).unsqueeze(0).repeat(2, 1);
        t[0, 0] = double.NegativeInfinity;
        t[0, 1] = double.NegativeInfinity;
        t[1, 5] = double.PositiveInfinity;
        t[1, 6] = double.PositiveInfinity;
        using var pop = new AdcPopulation(3, t, new[] { 0, 1 }, new[] { "Nom", "C3" });
        var path = Path.Combine(Synthetic.TempDir(), "p.population.json");
        PopulationFile.Save(path, pop, "test");
        using var back = PopulationFile.Load(path);
        Assert.Equal(pop.Thresholds.data<double>().ToArray(), back.Thresholds.data<double>().ToArray());
        Assert.Equal(new[] { "Nom", "C3" }, back.CornerNames);
        Assert.Equal(new long[] { 2, 2 }, back.Convert(tensor(new[] { -5.0, 0.6 }).unsqueeze(0).repeat(2, 1)).select(0, 0).data<long>().ToArray());
    }

    /// <summary>A linear code curve c(x) = 127 x / 10 (x in 0..10) sampled at <paramref name="n"/> points, as "x,code[,pass]" rows.</summary>
    static string LinearCsv(int n, Func<int, string>? output = null, Func<int, string>? pass = null)
    {
        var sb = new StringBuilder(pass is null ? "x,code\n" : "x,code,status\n");
        for (int i = 0; i < n; i++)
        {
            double x = 10.0 * i / (n - 1);
            sb.Append(x.ToString("R", CultureInfo.InvariantCulture)).Append(',').Append(output?.Invoke(i) ?? (12.7 * x).ToString("R", CultureInfo.InvariantCulture));
            if (pass is not null) sb.Append(',').Append(pass(i));
            sb.Append('\n');
        }
        return sb.ToString();
    }

    static ImportSpec CodeSpec(string csv) => new() { File = csv, Layout = CsvLayout.Wide, Bits = 7, Input = "x", Outputs = new() { "code" }, InputMin = 0, InputMax = 10 };

    [Fact]
    public void NonNumericCellsAreAnErrorSkippedOrSaturatedAndCounted()
    {
        var dir = Synthetic.TempDir();
        var spec = Path.Combine(dir, "spec.json");
        var csv = Write(dir, "err.csv", LinearCsv(101, i => i is 50 or 100 ? "eval err" : (1.27 * i).ToString("R", CultureInfo.InvariantCulture)));
        Assert.Contains("'eval err' is not a number", Assert.Throws<ImcInputException>(() => CurveImport.Import(CodeSpec(csv), spec)).Message);
        var (skip, rs) = CurveImport.Import(CodeSpec(csv) with { Missing = MissingCells.Skip, AllowUnreachedCodes = true }, spec);
        Assert.Equal(2, rs.MissingCells);
        Assert.Equal(1, rs.UnreachedCodes);                                  // the last point (code 127) was dropped: the curve ends at 125.73, short of 126.5
        Assert.Equal(64 - 0.5, skip.Thresholds[0, 63].item<double>(), 9);    // bridged linearly across the dropped point
        var (sat, _) = CurveImport.Import(CodeSpec(csv) with { Missing = MissingCells.Saturate }, spec);
        // A saturated point at x = 5 is the top code: everything above code 62 is reached right after x = 4.9.
        Assert.InRange(sat.Thresholds[0, 126].item<double>(), 62.2, 63.5);
    }

    [Fact]
    public void FailedRowsAreDroppedAndShortCurvesReported()
    {
        var dir = Synthetic.TempDir();
        var spec = Path.Combine(dir, "spec.json");
        var csv = Write(dir, "pf.csv", LinearCsv(101, i => i == 30 ? "999" : (1.27 * i).ToString("R", CultureInfo.InvariantCulture), i => i == 30 ? "Fail" : "Pass"));
        var (pop, r) = CurveImport.Import(CodeSpec(csv) with { PassColumn = "status" }, spec);
        Assert.Equal(1, r.FailedRows);
        Assert.Equal(0, r.NonMonotonicCurves);                                 // the failed outlier never entered
        Assert.Equal(40 - 0.5, pop.Thresholds[0, 39].item<double>(), 9);
        Assert.Contains("'nope'", Assert.Throws<ImcInputException>(() => CurveImport.Import(CodeSpec(csv) with { PassColumn = "nope" }, spec)).Message);
        // Long layout: an instance with fewer points than the others is named in the report.
        var lines = LongCsv(1, 2).Split('\n').Where((l, i) => i != 3).ToArray();
        var (_, lr) = CurveImport.Import(LongSpec(Write(dir, "short.csv", string.Join('\n', lines))), spec);
        Assert.EndsWith("/0 (200 of 201 points)", Assert.Single(lr.ShortCurves!));
    }

    [Fact]
    public void FloorRoundingPlacesTransitionsAtWholeCounts()
    {
        var dir = Synthetic.TempDir();
        var spec = Path.Combine(dir, "spec.json");
        var csv = Write(dir, "lin.csv", LinearCsv(11));
        var (nearest, _) = CurveImport.Import(CodeSpec(csv), spec);
        var (floor, _) = CurveImport.Import(CodeSpec(csv) with { Rounding = CodeRounding.Floor }, spec);
        // c(x) = x in LSBs: nearest rounding crosses code k at k - 1/2, a truncating counter at k.
        for (int k = 1; k <= 127; k += 21)
        {
            Assert.Equal(k - 0.5, nearest.Thresholds[0, k - 1].item<double>(), 9);
            Assert.Equal(k, floor.Thresholds[0, k - 1].item<double>(), 9);
        }
    }

    [Fact]
    public void PchipFollowsACurvedTransferBetweenSparsePointsWithoutOvershoot()
    {
        var dir = Synthetic.TempDir();
        var spec = Path.Combine(dir, "spec.json");
        // A compressive (RC-ramp-like) curve c(x) = 127 (1 - e^(-x/4)) / (1 - e^(-2.5)), only 10 points.
        static double C(double x) => 127 * (1 - Math.Exp(-x / 4)) / (1 - Math.Exp(-2.5));
        var sb = new StringBuilder("x,code\n");
        for (int i = 0; i < 10; i++)
        {
            double x = 10.0 * i / 9;
            sb.Append(FormattableString.Invariant($"{x:R},{C(x):R}\n"));
        }
        var csv = Write(dir, "sqrt.csv", sb.ToString());
        var (lin, _) = CurveImport.Import(CodeSpec(csv), spec);
        var (pchip, _) = CurveImport.Import(CodeSpec(csv) with { Interpolation = CurveInterpolation.Pchip }, spec);
        // Exact threshold of code k, in LSBs of 10/127: C(x) = k - 1/2 solved for x.
        double Err(AdcPopulation p) => Enumerable.Range(1, 127).Max(k => Math.Abs(p.Thresholds[0, k - 1].item<double>() - 12.7 * -4 * Math.Log(1 - (k - 0.5) / 127 * (1 - Math.Exp(-2.5)))));
        Assert.True(Err(pchip) < 0.5 * Err(lin), $"pchip {Err(pchip)} vs linear {Err(lin)} LSB");
        var t = pchip.Thresholds.select(0, 0);
        Assert.True(t.diff().min().item<double>() > 0, "a monotone curve keeps monotone thresholds");
    }

    [Fact]
    public void FallingCurvesNeedAStatedDirection()
    {
        var dir = Synthetic.TempDir();
        var spec = Path.Combine(dir, "spec.json");
        // A delay converter: the count falls from 127 to 0 as the current rises.
        var csv = Write(dir, "delay.csv", LinearCsv(101, i => (127 - 1.27 * i).ToString("R", CultureInfo.InvariantCulture)));
        var e = Assert.Throws<ImcInputException>(() => CurveImport.Import(CodeSpec(csv), spec));
        Assert.Contains("direction: decreasing", e.Message);
        var (pop, _) = CurveImport.Import(CodeSpec(csv) with { Direction = CurveDirection.Decreasing }, spec);
        Assert.Equal(10 - 0.5, pop.Thresholds[0, 9].item<double>(), 9);
        var rising = Write(dir, "rise.csv", LinearCsv(11));
        Assert.Contains("rises", Assert.Throws<ImcInputException>(() => CurveImport.Import(CodeSpec(rising) with { Direction = CurveDirection.Decreasing }, spec)).Message);
    }

    [Fact]
    public void UnknownSpecKeysAreAnError()
    {
        var dir = Synthetic.TempDir();
        var spec = Write(dir, "spec.json", """{ "file": "x.csv", "input": "x", "bits": 7, "interpolaton": "pchip" }""");
        var e = Assert.Throws<ImcInputException>(() => CurveImport.ReadSpec(spec));
        Assert.Contains("spec.json", e.Message);
        Assert.Contains("interpolaton", e.Message);
    }

    [Fact]
    public void ImportedPopulationStoresWhatWasMeasured()
    {
        var dir = Synthetic.TempDir();
        var csv = Write(dir, "lin.csv", LinearCsv(11));
        var (pop, _) = CurveImport.Import(CodeSpec(csv) with { Units = "A", Rounding = CodeRounding.Floor }, Path.Combine(dir, "spec.json"));
        var path = Path.Combine(dir, "lin.population.json");
        PopulationFile.Save(path, pop, csv);
        using var back = PopulationFile.Load(path);
        Assert.Equal(new PopulationInfo("A", 0, 10, "code", "floor", "increasing"), back.Info);
        Assert.Equal(new[] { "code" }, back.CornerNames);                          // a one-corner file has one corner
    }

    [Fact]
    public void CornersFileAndMonteCarloPoolCombine()
    {
        using var scope = NewDisposeScope();
        var dir = Synthetic.TempDir();
        // Corners: two ideal curves shifted by +3 and -2 LSB; pool: ideal plus per-instance offsets -1, 0, +1 (mean curve ideal).
        var ideal = AdcModels.Ideal(4).unsqueeze(0);
        using var corners = new AdcPopulation(4, cat(new[] { ideal + 3, ideal - 2 }, 0), new[] { 0, 1 }, new[] { "hot", "cold" });
        using var pool = new AdcPopulation(4, cat(new[] { ideal - 1, ideal, ideal + 1 }, 0));
        PopulationFile.Save(Path.Combine(dir, "corners.population.json"), corners, "test");
        PopulationFile.Save(Path.Combine(dir, "pool.population.json"), pool, "test");
        File.WriteAllText(Path.Combine(dir, "hw.json"), """
            { "core": { "rows": 16, "columns": 16, "subtract": "digital" },
              "adc": { "kind": "population", "bits": 4, "population": "corners.population.json", "local_population": "pool.population.json" } }
            """);
        var hw = HardwareConfig.Load(Path.Combine(dir, "hw.json"));
        Assert.Equal(new[] { "hot", "cold" }, AdcFactory.CornerNames(hw.Adc));
        var ctx = new AdcContext(arange(64, ScalarType.Int64).view(1, 64), 64, 1, 2, Corner: 1);
        using var adc = (ThresholdAdc)AdcFactory.Build(hw.Adc, ctx, new[] { 0.0 });
        // Every instance is the cold corner's curve moved by -1, 0 or +1: code of input 5 is 5 + 2 - d, d in {-1, 0, 1}.
        var codes = adc.ConvertBySearch(full(1, 1, 64, 5.0f)).flatten();
        Assert.True(codes.ge(6).logical_and(codes.le(8)).all().item<bool>(), $"codes {codes}");
        Assert.True(codes.unique().Item1.numel() == 3, "all three pool deviations are drawn");
        Assert.Contains("local_population", Assert.Throws<ImcInputException>(() => HardwareConfig.Parse("""{ "adc": { "kind": "sar", "local_population": "p.json" } }""")).Message);
    }

    [Fact]
    public void StatisticsUseTheReachableRangeAndCountTheRest()
    {
        using var scope = NewDisposeScope();
        // A linear 5-bit converter with gain 1.1 and offset -4 LSB: its first 3 codes are produced at
        // the lowest input (-inf, as an integrator that already counts at zero current) and its top 2 never.
        var ideal = AdcModels.Ideal(5);
        var t = ideal * 1.1 - 4;
        t[0] = double.NegativeInfinity; t[1] = double.NegativeInfinity; t[2] = double.NegativeInfinity;
        t[29] = double.PositiveInfinity; t[30] = double.PositiveInfinity;
        using var pop = new AdcPopulation(5, t.unsqueeze(0));
        var lin = Characterization.Measure(pop, samplesPerCode: 512);
        Assert.Equal(2, lin.UnreachedCodes.item<long>());
        Assert.Equal(3, lin.CodesAtLowest.item<long>());
        Assert.Equal(0.1, lin.GainError.item<double>(), 2);                       // not bent by the ramp's ends
        Assert.Equal(3.5 * 1.1 - 4 - 3.5, lin.OffsetError.item<double>(), 2);       // first reachable transition (k = 4) against its ideal 3.5
        Assert.True(lin.InlEndPoint.abs().max().item<double>() < 0.01, "a straight line has no INL over its reachable range");
        Assert.Equal(0, lin.MissingCodes.item<long>());
        var report = AdcReport.Of("t", "population", pop, lin);
        Assert.Equal(2, report.UnreachedCodes);
        Assert.Equal(3, report.CodesAtLowestInput);
    }

    /// <summary>
    /// CSV as RFC 4180 reads it: a quoted header holding the separator stays one column, doubled
    /// quotes are one quote, a byte-order mark is not part of the first name, semicolons and tabs
    /// separate where the header uses them, and an unclosed quote is one error naming the row.
    /// </summary>
    [Fact]
    public void CsvFieldsAreReadAsRfc4180Says()
    {
        var dir = Synthetic.TempDir();
        var quoted = Write(dir, "q.csv", "\uFEFF\"input, A\",\"code \"\"raw\"\"\" , other\n1e-6,\"3\",x\n");
        var (header, rows) = CurveImport.ReadCsv(quoted);
        Assert.Equal(new[] { "input, A", "code \"raw\"", "other" }, header);
        Assert.Equal(new[] { "1e-6", "3", "x" }, rows[0]);
        var semi = Write(dir, "s.csv", "a;\"b;c\"\n1;2\n\n3;4\n");
        var (h2, r2) = CurveImport.ReadCsv(semi);
        Assert.Equal(new[] { "a", "b;c" }, h2);
        Assert.Equal(3, r2.Count);              // the blank line stays, so row numbers match the file
        Assert.Equal(new[] { "3", "4" }, r2[2]);
        Assert.Equal(new[] { "a", "b" }, CurveImport.ReadCsv(Write(dir, "t.csv", "a\tb\n1\t2\n")).Header);
        var open = Write(dir, "o.csv", "a,b\n1,\"2\n");
        Assert.Contains("row 2: a quoted field is not closed", Assert.Throws<ImcInputException>(() => CurveImport.ReadCsv(open)).Message);
    }
}

