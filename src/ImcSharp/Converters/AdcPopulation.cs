using ImcSharp.Config;
using TorchSharp;
using static TorchSharp.torch;

namespace ImcSharp.Converters;

/// <summary>
/// A population of N-bit ADC instances, each fully described by its 2^N - 1 code-transition
/// thresholds in nominal LSBs of a unipolar input (code 0 at 0, ideal T_k = k - 1/2):
/// code(x) = number of thresholds at or below x. Any threshold order is allowed (non-monotonic
/// transfer functions, missing codes as equal thresholds, +inf for codes never reached).
/// Corner is the global level (corner or chip) each instance belongs to.
/// </summary>
public sealed class AdcPopulation : IDisposable
{
    /// <summary>The measurement behind the thresholds (null for populations drawn from circuit models).</summary>
    public PopulationInfo? Info { get; init; }
    public int Bits { get; }
    /// <summary>[instances, 2^N - 1] float64 thresholds in LSBs, in the instance's own order.</summary>
    public Tensor Thresholds { get; }
    public int[] Corner { get; }
    public string[] CornerNames { get; }
    public int Instances => (int)Thresholds.size(0);
    public int Codes => 1 << Bits;

    public AdcPopulation(int bits, Tensor thresholds, int[]? corner = null, string[]? cornerNames = null)
    {
        if (thresholds.dim() != 2 || thresholds.size(1) != (1L << bits) - 1)
            throw new ArgumentException($"thresholds must be [instances, {(1L << bits) - 1}] for {bits} bits",
                nameof(thresholds));
        Bits = bits;
        Thresholds = thresholds.to_type(ScalarType.Float64).DetachFromDisposeScope();
        Corner = corner ?? new int[Instances];
        CornerNames = cornerNames ?? new[] { "nominal" };
    }

    /// <summary>
    /// Draws a population from a circuit model: <paramref name="chips"/> global draws x
    /// <paramref name="perChip"/> instances. With named corners, chip c sits in corner c mod their
    /// count and the population's corners are those names (a synthetic corners-and-Monte-Carlo export).
    /// </summary>
    public static AdcPopulation Generate(AdcConfig cfg, int chips, int perChip, long seed)
    {
        int named = cfg.Corners.Count;
        using var scope = NewDisposeScope();
        var parts = new List<Tensor>();
        for (int c = 0; c < chips; c++)
        {
            var (gs, ls) = Seeds.Population(seed, c);
            using var g = new Generator(gs);
            using var l = new Generator(ls);
            parts.Add(AdcArchitecture.Thresholds(cfg, perChip, g, l, named > 0 ? c % named : null));
        }
        var corner =
            Enumerable.Range(0, chips).SelectMany(c => Enumerable.Repeat(named > 0 ? c % named : c, perChip)).ToArray();
        var names = named > 0 ? cfg.Corners.Take(Math.Min(chips, named)).Select(k => k.Name).ToArray()
            : Enumerable.Range(0, chips).Select(c => $"chip {c}").ToArray();
        var info = AdcArchitecture.Of(cfg).Physical(cfg);
        return new AdcPopulation(cfg.Bits, cat(parts, 0), corner, names) { Info = info };
    }

    Tensor? _sorted;

    /// <summary>Thresholds sorted per instance (what the count rule needs), [instances, M]; computed once.</summary>
    public Tensor Sorted() => _sorted ??= Thresholds.sort(1).Values.DetachFromDisposeScope();

    /// <summary>
    /// Codes of <paramref name="x"/> [instances, V] (LSB units), each row through its own instance:
    /// one vectorized sorted search; returns int64 codes.
    /// </summary>
    public Tensor Convert(Tensor x) => searchsorted(Sorted(), x.to_type(ScalarType.Float64), right: true);

    public void Dispose()
    {
        Thresholds.Dispose();
        _sorted?.Dispose();
    }
}
