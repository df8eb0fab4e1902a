namespace ImcSharp.Config;

/// <summary>
/// The parameter record of ADC kind population: the files its converters are drawn from, as
/// written (a loaded hardware config makes them relative to its own folder). In JSON they are the
/// ADC object's own keys <c>population</c> and <c>local_population</c>, not a block: they were
/// shared fields before architectures had blocks, and written designs keep reading the same.
/// </summary>
public sealed record PopulationFiles
{
    /// <summary>Population file (from <c>imc adc import</c>): the corners and instances a chip draws from.</summary>
    public string? File { get; init; }

    /// <summary>
    /// A Monte Carlo pool to combine with <see cref="File"/>'s corners: a chip takes one corner's
    /// mean curve and each of its ADCs adds one pool instance's deviation from the pool's mean curve
    /// (local mismatch measured once, corners measured once).
    /// </summary>
    public string? Local { get; init; }

    /// <summary>
    /// <paramref name="adc"/> with the files it names (when its kind reads them) found relative to
    /// the folder of <paramref name="configPath"/>, the file that names them.
    /// </summary>
    public static AdcConfig RelativeTo(AdcConfig adc, string configPath)
    {
        if (adc.Architecture.ParameterType != typeof(PopulationFiles)) return adc;
        var folder = Path.GetDirectoryName(Path.GetFullPath(configPath)) ?? "";
        string? Resolve(string? p) => p is null || Path.IsPathRooted(p) ? p : Path.Combine(folder, p);
        var files = adc.Params<PopulationFiles>();
        return adc.With(new PopulationFiles { File = Resolve(files.File), Local = Resolve(files.Local) });
    }

    /// <summary>The files <paramref name="adc"/> reads, or null when its kind reads none.</summary>
    public static PopulationFiles? Of(AdcConfig adc) =>
        adc.Architecture.ParameterType == typeof(PopulationFiles) ? adc.Params<PopulationFiles>() : null;
}
