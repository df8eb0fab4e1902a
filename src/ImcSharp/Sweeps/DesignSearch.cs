namespace ImcSharp.Sweeps;

/// <summary>
/// A design point of a search with its price (the quantity minimised: J, mm^2 or J s mm^2) and a second price that
/// breaks ties (area when energy is minimised, else energy: a per-chip measure that adds no energy still adds area).
/// </summary>
public sealed record SearchCandidate(SweepPoint Point, double Cost, double Secondary = 0);

/// <summary>
/// One fidelity of an evaluation: <paramref name="Chips"/> Monte Carlo chips (the first chips of the full run) on the
/// first <paramref name="TestImages"/> test images.
/// </summary>
public sealed record SearchRung(string Name, int Chips, int TestImages);

/// <summary>A candidate's accuracy metric at one rung (0..1), and what the search concluded from it.</summary>
public sealed record RungVerdict(string Rung, double Metric, double Bound, string Verdict);

/// <summary>What became of one candidate: chosen, rejected (at which rung), or pruned unevaluated.</summary>
public sealed record CandidateOutcome(SearchCandidate Candidate, string Status, List<RungVerdict> Steps);

/// <summary>The answer of a search: the cheapest candidate found to hold the target (null: none does).</summary>
public sealed record SearchOutcome(SearchCandidate? Chosen, List<CandidateOutcome> Candidates)
{
    /// <summary>Candidates measured at least once.</summary>
    public int Evaluated => Candidates.Count(c => c.Steps.Count > 0);
    /// <summary>Measurements made, per rung name.</summary>
    public Dictionary<string, int> Measurements => Candidates.SelectMany(c => c.Steps).GroupBy(s => s.Rung)
        .ToDictionary(g => g.Key, g => g.Count());
}

/// <summary>
/// Finds the cheapest design that holds an accuracy target, without measuring the whole grid. Cheap-first racing:
/// candidates are taken in increasing cost (at equal cost the lower second price first, then float training before
/// aware, which needs a fine-tuning);
/// each is measured at the cheap rungs first and rejected as soon as even an optimistic bound misses the target,
///   bound = a + z sqrt(max(a (1 - a), 1/n) / n)     (a: the metric on n test images; z standard errors),
/// and only a candidate that survives is measured at the full rung, where a >= target accepts it. The first accepted
/// candidate is the answer: every cheaper one was rejected, and every costlier one is dominated on cost and pruned
/// unmeasured. The screening chips are the first chips of the full run (by default all of them, so the image
/// subsample is all the margin has to cover; with fewer, a worst-chip metric there is still never below the full
/// run's, but a corner's mean rests on fewer chips). <see cref="Grid"/> measures every candidate at the full rung, for
/// checking the answer.
/// </summary>
public static class DesignSearch
{
    /// <summary>The optimistic bound on a metric measured on <paramref name="images"/> test images.</summary>
    public static double Bound(double metric, int images, double z) =>
        metric + z * Math.Sqrt(Math.Max(metric * (1 - metric), 1.0 / images) / images);

    /// <summary>
    /// Candidates in the order the search takes them: cost, second price, then float before aware, then id.
    /// </summary>
    public static List<SearchCandidate> Order(IEnumerable<SearchCandidate> candidates) => candidates
        .OrderBy(c => c.Cost).ThenBy(c => c.Secondary).ThenBy(c => c.Point.Training == "aware" ? 1 : 0)
        .ThenBy(c => c.Point.Id, StringComparer.Ordinal).ToList();

    /// <summary>
    /// Cheap-first racing over <paramref name="candidates"/> (any order; they are ordered here), measuring with
    /// <paramref name="measure"/>(candidate, rung) → metric. The last rung is the full one.
    /// </summary>
    public static SearchOutcome CheapestFirst(IEnumerable<SearchCandidate> candidates,
        IReadOnlyList<SearchRung> rungs, double target, double z, Func<SearchCandidate, SearchRung, double> measure)
    {
        if (rungs.Count == 0) throw new ArgumentException("no rungs", nameof(rungs));
        var outcomes = new List<CandidateOutcome>();
        SearchCandidate? chosen = null;
        foreach (var c in Order(candidates))
        {
            if (chosen is not null)
            {
                outcomes.Add(new CandidateOutcome(c, c.Cost > chosen.Cost || c.Secondary > chosen.Secondary
                    ? "pruned: costlier than the chosen design" : "pruned: no cheaper than the chosen design", new()));
                continue;
            }
            var steps = new List<RungVerdict>();
            string status = "";
            for (int r = 0; r < rungs.Count; r++)
            {
                double a = measure(c, rungs[r]);
                bool last = r == rungs.Count - 1;
                double bound = last ? a : Bound(a, rungs[r].TestImages, z);
                string verdict = bound >= target ? (last ? "accept" : "promote") : "reject";
                steps.Add(new RungVerdict(rungs[r].Name, a, bound, verdict));
                if (verdict == "reject") { status = $"rejected at {rungs[r].Name}"; break; }
                if (last) { status = "chosen"; chosen = c; }
            }
            outcomes.Add(new CandidateOutcome(c, status, steps));
        }
        return new SearchOutcome(chosen, outcomes);
    }

    /// <summary>Every candidate at the full rung; the answer is the cheapest that holds the target.</summary>
    public static SearchOutcome Grid(IEnumerable<SearchCandidate> candidates, SearchRung full, double target,
        Func<SearchCandidate, SearchRung, double> measure)
    {
        var outcomes = Order(candidates).Select(c =>
        {
            double a = measure(c, full);
            return new CandidateOutcome(c, a >= target ? "holds the target" : "misses the target",
                new() { new RungVerdict(full.Name, a, a, a >= target ? "accept" : "reject") });
        }).ToList();
        return new SearchOutcome(outcomes.FirstOrDefault(o => o.Status == "holds the target")?.Candidate, outcomes);
    }
}
