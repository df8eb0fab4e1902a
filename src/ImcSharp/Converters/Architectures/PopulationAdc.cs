using ImcSharp.Config;
using TorchSharp;
using static TorchSharp.torch;

namespace ImcSharp.Converters;

/// <summary>
/// A population file (from `imc adc import` or `imc adc show --save-population`) supplies measured
/// or simulated instances: a chip takes one of the file's corners (global) and draws its
/// instances from that corner (local); with a local pool (<see cref="PopulationFiles.Local"/>), the corner's
/// mean curve plus each drawn pool instance's deviation from the pool's mean curve. The shared
/// variation then applies on top. Taken as counting from zero input (it was measured from zero);
/// its physical range is the file's measured input range. Priced as a SAR.
/// </summary>
public sealed class PopulationArchitecture : AdcArchitecture<PopulationFiles>
{
    /// <inheritdoc/>
    public override string? SurveyKind => "sar";   // priced as a SAR
    /// <summary>The kind's name in <c>adc.kind</c>, also its parameter block's.</summary>
    public const string Name = "population";
    /// <inheritdoc/>
    public override string Kind => Name;
    /// <inheritdoc/>
    public override string Block => Name;
    /// <inheritdoc/>
    public override bool IsUnipolar => true;
    /// <inheritdoc/>
    public override bool HasNativeRange => true;

    /// <inheritdoc/>
    public override void Validate(AdcConfig cfg, ConfigErrors e, string at)
    {
        if (string.IsNullOrEmpty(P(cfg).File))
            e.Add(at + "population", null,
                "kind population needs the path of a population file (from `imc adc import`)");
    }

    /// <inheritdoc/>
    protected override Tensor Model(AdcConfig cfg, int instances, Generator global, Generator local) =>
        throw new InvalidOperationException("a population is drawn from its file");

    /// <inheritdoc/>
    public override Tensor Draw(AdcConfig cfg, int instances, Generator global, Generator local, int? corner)
    {
        var files = P(cfg);
        var pop = AdcFactory.LoadPopulation(files.File!);
        if (pop.Bits != cfg.Bits) throw new ImcInputException(
            $"{files.File}: population has {pop.Bits} bits but adc.bits = {cfg.Bits}");
        int corners = pop.CornerNames.Length;
        int chosen =
            corner is int c ? c % corners : (int)randint(0, corners, new long[] { 1 }, generator: global).item<long>();
        var members =
            tensor(Enumerable.Range(0, pop.Instances).Where(i => pop.Corner[i] == chosen).Select(i => (long)i)
            .ToArray());
        if (members.numel() == 0) members = arange(pop.Instances, ScalarType.Int64);
        Tensor drawn;
        if (files.Local is { } poolPath)
        {
            var pool = AdcFactory.LoadPopulation(poolPath);
            if (pool.Bits != cfg.Bits) throw new ImcInputException(
                $"{poolPath}: local population has {pool.Bits} bits but adc.bits = {cfg.Bits}");
            var cornerCurve = MeanCurve(pop.Sorted().index_select(0, members));
            var poolSorted = pool.Sorted();
            var picked =
                poolSorted.index_select(0, randint(0, pool.Instances, new long[] { instances }, generator: local));
            var deviation = picked - MeanCurve(poolSorted);
            drawn = where(picked.isfinite().logical_and(cornerCurve.isfinite()), cornerCurve + deviation,
                where(picked.isfinite(), cornerCurve.expand_as(picked), picked));
        }
        else drawn =
            pop.Thresholds.index_select(0,
            members.index_select(0, randint(0, members.numel(), new long[] { instances }, generator: local)));
        // The file's corners are the chip's global draw: the config's named corners do not apply again.
        return AdcModels.Vary(drawn, cfg, null, global, local);
    }

    /// <summary>
    /// Mean of sorted thresholds [I, M] over instances where all are finite; a code unreached (+inf) or produced at the
    /// lowest input (-inf) by most instances keeps that.
    /// </summary>
    static Tensor MeanCurve(Tensor sorted)
    {
        var finite = sorted.isfinite();
        var sum = where(finite, sorted, zeros_like(sorted)).sum(0, keepdim: true);
        var count = finite.sum(0, keepdim: true).to_type(ScalarType.Float64);
        // the infinity most instances hold
        var majority = sorted.sign().sum(0, keepdim: true).sign() * double.PositiveInfinity;
        return where(count.gt(sorted.size(0) / 2.0), sum / count.clamp_min(1), majority);
    }

    /// <inheritdoc/>
    public override string[]? CornerNames(AdcConfig cfg) => AdcFactory.LoadPopulation(P(cfg).File!).CornerNames;

    /// <inheritdoc/>
    public override PopulationInfo? Physical(AdcConfig cfg) => AdcFactory.LoadPopulation(P(cfg).File!).Info
        ?? throw new ImcInputException(
            $"{P(cfg).File}: adc.range.mode native needs the population's physical input range (input_min, " +
            "input_max); re-import it with `imc adc import`");

    /// <inheritdoc/>
    public override double SwitchingEnergy(AdcConfig cfg, AdcTechnology t) => SarArchitecture.Energy(cfg.Bits, t);
    /// <inheritdoc/>
    public override double CoreArea(AdcConfig cfg, AdcTechnology t) => SarArchitecture.Area(cfg.Bits, t);
}
