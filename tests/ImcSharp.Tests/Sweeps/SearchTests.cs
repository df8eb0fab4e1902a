using ImcSharp.Config;
using ImcSharp.Sweeps;

namespace ImcSharp.Tests.Sweeps;

public class SearchTests
{
    static readonly SearchRung Screen = new("screen", 5, 500), Full = new("full", 20, 10000);

    static List<SearchCandidate> Space(int n, Random rng) => Enumerable.Range(0, n).Select(i =>
        new SearchCandidate(new SweepPoint("cco", 3 + i / 2, CalibrationKind.None, 1, i % 2 == 0 ? "float" : "aware"),
            // Some ties: a float and an aware point of one design cost the same.
            Math.Round(rng.NextDouble() * 10, 1))).ToList();

    [Fact]
    public void OnExactMeasurementsTheSearchChoosesWhatTheGridChoosesAndMeasuresNoMore()
    {
        var rng = new Random(11);
        for (int trial = 0; trial < 300; trial++)
        {
            var space = Space(2 + rng.Next(30), rng);
            var acc = space.ToDictionary(c => c.Point, _ => 0.5 + 0.5 * rng.NextDouble());
            double target = 0.5 + 0.5 * rng.NextDouble();
            var measured = new List<(SearchCandidate, SearchRung)>();
            double Measure(SearchCandidate c, SearchRung r) { measured.Add((c, r)); return acc[c.Point]; }
            var search = DesignSearch.CheapestFirst(space, new[] { Screen, Full }, target, 3, Measure);
            var grid = DesignSearch.Grid(space, Full, target, (c, _) => acc[c.Point]);
            Assert.Equal(grid.Chosen, search.Chosen);
            Assert.True(search.Evaluated <= space.Count);
            if (search.Chosen is { } chosen)
            {
                // Nothing costlier than the answer is measured; nothing cheaper holds the target.
                Assert.All(measured, m => Assert.True(m.Item1.Cost <= chosen.Cost));
                Assert.All(space.Where(c => c.Cost < chosen.Cost), c => Assert.True(acc[c.Point] < target));
            }
        }
    }

    [Fact]
    public void TheScreenRejectsOnlyWhenEvenTheOptimisticBoundMissesAndTheFullRungDecides()
    {
        var a = new SearchCandidate(new SweepPoint("sar", 4, CalibrationKind.None, 1, "float"), 1);
        var b = new SearchCandidate(new SweepPoint("sar", 5, CalibrationKind.None, 1, "float"), 2);
        var c = new SearchCandidate(new SweepPoint("sar", 6, CalibrationKind.None, 1, "float"), 3);
        var d = new SearchCandidate(new SweepPoint("sar", 7, CalibrationKind.None, 1, "float"), 4);
        // Bound on 500 images at 0.85: 0.85 + 3 sqrt(0.85 * 0.15 / 500) = 0.8979.
        Assert.Equal(0.8979, DesignSearch.Bound(0.85, 500, 3), 4);
        var screen = new Dictionary<SearchCandidate, double> { [a] = 0.85, [b] = 0.89, [c] = 0.91, [d] = 0.95 };
        var full = new Dictionary<SearchCandidate, double> { [a] = 0.99, [b] = 0.895, [c] = 0.905, [d] = 0.95 };
        var o = DesignSearch.CheapestFirst(new[] { d, c, b, a }, new[] { Screen, Full }, 0.90, 3,
            (x, r) => r.Name == "screen" ? screen[x] : full[x]);
        Assert.Equal(c, o.Chosen);
        Assert.Equal(new[] { "rejected at screen", "rejected at full", "chosen",
            "pruned: costlier than the chosen design" }, o.Candidates.Select(x => x.Status));
        Assert.Single(o.Candidates[0].Steps);   // a rejected at the screen is never measured in full
        Assert.Equal(new Dictionary<string, int> { ["screen"] = 3, ["full"] = 2 }, o.Measurements);
        Assert.Equal(3, o.Evaluated);
    }

    [Fact]
    public void AtEqualCostFloatTrainingIsTriedBeforeAware()
    {
        var aware = new SearchCandidate(new SweepPoint("cco", 5, CalibrationKind.None, 1, "aware"), 1);
        var flt = new SearchCandidate(new SweepPoint("cco", 5, CalibrationKind.None, 1, "float"), 1);
        var o = DesignSearch.CheapestFirst(new[] { aware, flt }, new[] { Full }, 0.5, 3, (_, _) => 0.9);
        Assert.Equal(flt, o.Chosen);
        Assert.Empty(o.Candidates[1].Steps);
    }

    [Fact]
    public void NoDesignHoldingTheTargetGivesNoAnswer()
    {
        var space = Space(6, new Random(3));
        var o = DesignSearch.CheapestFirst(space, new[] { Screen, Full }, 0.95, 3, (_, _) => 0.5);
        Assert.Null(o.Chosen);
        Assert.All(o.Candidates, c => Assert.Equal("rejected at screen", c.Status));
    }

    [Fact]
    public void TheRungsAreTheScreenThenTheFullRunAndTheScreenIsDroppedWhenItIsNotCheaper()
    {
        var spec = new SearchSpec { Chips = 20, Corners = 5, Screen = new SearchScreen { TestImages = 1000 } };
        // By default the screen runs the full run's chips on fewer images.
        Assert.Equal(new[] { new SearchRung("screen", 20, 1000), new SearchRung("full", 20, 10000) }, spec.Rungs(10000));
        Assert.Equal(new SearchRung("screen", 5, 1000),
            (spec with { Screen = spec.Screen with { Chips = 5 } }).Rungs(10000)[0]);
        Assert.Equal(new[] { new SearchRung("full", 5, 800) },
            (spec with { Chips = 5, Screen = spec.Screen with { TestImages = 5000 } }).Rungs(800));
    }

    [Fact]
    public void ASpecWithProblemsNamesEachField()
    {
        var dir = Synthetic.TempDir();
        var path = Path.Combine(dir, "s.json");
        var hw = Repo.Path("experiments", "hw", "current-rram-cco.json");
        var cco = Repo.Path("experiments", "adc", "cco-approx.json");
        foreach (var (field, bad) in new[]
        {
            ("target.accuracy", "\"target\": { \"accuracy\": 88 }"),
            ("target.on", "\"target\": { \"accuracy\": 0.9, \"on\": \"worst\" }"),
            ("minimise", "\"target\": { \"accuracy\": 0.9 }, \"minimise\": \"power\""),
            ("screen.z", "\"target\": { \"accuracy\": 0.9 }, \"screen\": { \"z\": -1 }"),
            ("compensation", "\"target\": { \"accuracy\": 0.9 }, \"compensation\": [\"none\", \"none\"]"),
            ("compensation", "\"target\": { \"accuracy\": 0.9 }, \"compensation\": [\"batch-norm+batch-norm\"]"),
            ("compensation", "\"target\": { \"accuracy\": 0.9 }, \"compensation\": [\"gain\"]"),
        })
        {
            File.WriteAllText(path, $$"""{ "hardware": "{{hw}}", "adcs": { "cco": "{{cco}}" }, {{bad}} }""");
            var msg = Assert.Throws<ImcInputException>(() => SearchSpec.Load(path)).Message;
            Assert.Contains("s.json", msg);
            Assert.Contains(field + " = ", msg);
        }
        File.WriteAllText(path, $$"""{ "hardware": "{{hw}}", "adcs": { "cco": "{{cco}}" }, "target": { "accuracy": 0.9 } }""");
        var spec = SearchSpec.Load(path);
        Assert.Equal("worst-corner", spec.Target.On);
        Assert.Equal("energy", spec.Minimise);
    }

    [Fact]
    public void CompensationIsAnAxisOfTheSpaceAndSetsTheTrim()
    {
        var spec = new SweepSpec
        {
            Hardware = Repo.Path("experiments", "hw", "current-rram-cco.json"),
            Adcs = new() { ["cco"] = Repo.Path("experiments", "adc", "cco-approx.json") },
            AdcBits = new() { 5 }, Compensation = new() { "none", "offset-trim" },
        };
        var points = spec.Points();
        Assert.Equal(new[] { "cco-5b-none-share1-untrimmed-float", "cco-5b-none-share1-trim-float" },
            points.Select(p => p.Id));
        var baseHw = HardwareConfig.Load(spec.Hardware);
        var adc = ImcSharp.Converters.AdcConfigFile.Load(spec.Adcs["cco"]).Config with { OffsetTrim = true };
        Assert.False(SweepRunner.Hardware(baseHw, adc, points[0]).Adc.OffsetTrim);
        Assert.True(SweepRunner.Hardware(baseHw, adc, points[1]).Adc.OffsetTrim);
        // Without the axis a point keeps its ADC config's trim, and its id is as before.
        var asBefore = new SweepPoint("cco", 5, CalibrationKind.None, 1, "float");
        Assert.Equal("cco-5b-none-share1-float", asBefore.Id);
        Assert.True(SweepRunner.Hardware(baseHw, adc, asBefore).Adc.OffsetTrim);
    }

    [Fact]
    public void AtEqualCostTheLowerSecondPriceGoesFirst()
    {
        // Re-estimating BatchNorm adds area, not energy: at equal energy the design without it is tried first.
        var bn = new SearchCandidate(new SweepPoint("cco", 4, CalibrationKind.None, 1, "float", "batch-norm"), 1, 3.05);
        var plain = new SearchCandidate(new SweepPoint("cco", 4, CalibrationKind.None, 1, "float", "none"), 1, 2.94);
        var aware = new SearchCandidate(new SweepPoint("cco", 4, CalibrationKind.None, 1, "aware", "none"), 1, 2.94);
        Assert.Equal(new[] { plain, aware, bn }, DesignSearch.Order(new[] { bn, aware, plain }));
        var rungs = new[] { new SearchRung("full", 10, 2000) };
        var o = DesignSearch.CheapestFirst(new[] { bn, aware, plain }, rungs, 0.88, 3, (c, _) => c == plain ? 0.80 : 0.92);
        Assert.Equal(aware, o.Chosen);
        Assert.Equal("pruned: costlier than the chosen design", o.Candidates.Single(c => c.Candidate == bn).Status);
    }

    [Fact]
    public void DeploymentMeasuresAreCompensationValuesOfTheirOwn()
    {
        var spec = new SweepSpec
        {
            Hardware = Repo.Path("experiments", "hw", "current-rram-cco.json"),
            Adcs = new() { ["cco"] = Repo.Path("experiments", "adc", "cco-approx.json") },
            AdcBits = new() { 5 }, Compensation = new() { "batch-norm", "offset-trim+output-gain" },
        };
        var points = spec.Points();
        Assert.Equal(new[] { "cco-5b-none-share1-batch-norm-float", "cco-5b-none-share1-trim-output-gain-float" },
            points.Select(p => p.Id));
        var baseHw = HardwareConfig.Load(spec.Hardware) with { Compensation = new() { Images = 64 } };
        var adc = ImcSharp.Converters.AdcConfigFile.Load(spec.Adcs["cco"]).Config;
        var bn = SweepRunner.Hardware(baseHw, adc, points[0]);
        Assert.Equal(new CompensationConfig { BatchNorm = true, Images = 64 }, bn.Compensation);
        Assert.False(bn.Adc.OffsetTrim);
        var gain = SweepRunner.Hardware(baseHw, adc, points[1]);
        Assert.Equal(new CompensationConfig { OutputGain = true, Images = 64 }, gain.Compensation);
        Assert.True(gain.Adc.OffsetTrim);
        // "none" turns the base design's measures off; without the axis the base's stay.
        var none = SweepRunner.Hardware(baseHw with { Compensation = new() { BatchNorm = true } }, adc,
            points[0] with { Compensation = "none" });
        Assert.Null(none.Compensation);
        Assert.Equal(baseHw.Compensation, SweepRunner.Hardware(baseHw, adc, points[0] with
            { Compensation = SweepPoint.AsBase }).Compensation);
        Assert.NotEqual(bn.Fingerprint(), gain.Fingerprint());
    }
}
