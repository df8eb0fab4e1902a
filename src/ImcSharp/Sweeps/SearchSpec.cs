using ImcSharp.Config;

namespace ImcSharp.Sweeps;

/// <summary>
/// The accuracy a design must hold: <see cref="Accuracy"/> (0..1) on <see cref="On"/>, one of "worst-corner" (the
/// mean of the worst global corner's chips), "worst-chip" or "mean" (over the Monte Carlo chips).
/// </summary>
public sealed record SearchTarget
{
    public double Accuracy { get; init; }
    public string On { get; init; } = "worst-corner";
}

/// <summary>
/// The cheap rung of a search: <see cref="Chips"/> chips (0: the full run's chips) on the first
/// <see cref="TestImages"/> test images; a candidate is rejected there when its metric plus <see cref="Z"/>
/// standard errors of its test images misses the target. With the full run's chips the margin covers all the screen
/// leaves out; with fewer, a worst-corner or mean target also rests on fewer chips, which the margin does not cover.
/// </summary>
public sealed record SearchScreen
{
    public int Chips { get; init; }
    public int TestImages { get; init; } = 1000;
    public double Z { get; init; } = 3;
}

/// <summary>
/// `imc search SPEC`: a sweep's design space (the same axes and settings, see <see cref="SweepSpec"/>), an accuracy
/// target and the cost to minimise: "energy" (J per inference), "area" (mm^2) or "edap" (energy x latency x area).
/// The answer is the cheapest point that holds the target at the spec's chips and test images.
/// </summary>
public sealed record SearchSpec : SweepSpec
{
    public SearchTarget Target { get; init; } = new();
    public string Minimise { get; init; } = "energy";
    public SearchScreen Screen { get; init; } = new();

    public static new SearchSpec Load(string path) => Load<SearchSpec>(path, "search spec");

    protected override void Check(ConfigErrors e)
    {
        base.Check(e);
        if (!(Target.Accuracy > 0 && Target.Accuracy <= 1)) e.Add("target.accuracy", Target.Accuracy,
            "expected a fraction in (0, 1] (0.88 for 88%)");
        if (Target.On is not ("worst-corner" or "worst-chip" or "mean")) e.Add("target.on", Target.On,
            "expected worst-corner, worst-chip or mean");
        if (Minimise is not ("energy" or "area" or "edap")) e.Add("minimise", Minimise,
            "expected energy, area or edap");
        e.Range("screen.chips", Screen.Chips, 0, 1_000_000);
        e.Range("screen.test_images", Screen.TestImages, 1, int.MaxValue);
        if (!(Screen.Z >= 0 && double.IsFinite(Screen.Z))) e.Add("screen.z", Screen.Z,
            "expected a number of standard errors >= 0");
    }

    /// <summary>
    /// The rungs for a test set of <paramref name="testCount"/> images: the screen (when it is cheaper than the full
    /// run), then the full run.
    /// </summary>
    public List<SearchRung> Rungs(int testCount)
    {
        var full = new SearchRung("full", Chips, testCount);
        int chips = Screen.Chips > 0 ? Math.Min(Screen.Chips, Chips) : Chips;
        int images = Math.Min(Screen.TestImages, testCount);
        return chips < Chips || images < testCount
            ? new() { new SearchRung("screen", chips, images), full } : new() { full };
    }
}
