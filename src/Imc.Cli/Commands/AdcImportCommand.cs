using System.ComponentModel;
using ImcSharp.Converters;
using ImcSharp.Reporting;
using Spectre.Console;
using Spectre.Console.Cli;

namespace ImcSharp.Cli.Commands;

public sealed class AdcImportSettings : AdcOutputSettings
{
    /// <summary>
    /// Inputs SPEC and the CSV file it names; outputs --json and the population file it writes (the spec's
    /// output_population, or SPEC with .population.json).
    /// </summary>
    public override IEnumerable<FileUse?> Files()
    {
        foreach (var f in base.Files()) yield return f;
        yield return FileUse.In(Spec, "SPEC");
        if (!File.Exists(Spec)) yield break;
        ImportSpec spec;
        // reported when the command reads it
        try { spec = CurveImport.ReadSpec(Spec); } catch (ImcInputException) { yield break; }
        yield return FileUse.In(CurveImport.CsvPath(spec, Spec), "SPEC's file");
        yield return FileUse.Out(AdcImportCommand.PopulationPath(spec, Spec), "SPEC's output_population");
    }

    [CommandArgument(0, "<SPEC>")]
    [Description("Import spec (JSON): the CSV file, its layout, columns and output conversion.")]
    public string Spec { get; init; } = "";
}

/// <summary>JSON result of `imc adc import`: the linearity statistics plus what the importer did.</summary>
public sealed record AdcImportResult(string Population, ImportReport Import, AdcReport Statistics);

/// <summary>`imc adc import`: CSV characterization to a reusable population file, with plots.</summary>
public sealed class AdcImportCommand : Command<AdcImportSettings>
{
    /// <summary>
    /// Where the population goes: the spec's output_population (relative to the spec), or the spec's name with
    /// .population.json.
    /// </summary>
    public static string PopulationPath(ImportSpec spec, string specPath) => spec.OutputPopulation is { } o
        ? (Path.IsPathRooted(o) ? o : Path.Combine(Path.GetDirectoryName(Path.GetFullPath(specPath)) ?? "", o))
        : Path.ChangeExtension(Path.GetFullPath(specPath), ".population.json");

    public override int Execute(CommandContext context, AdcImportSettings s, CancellationToken cancellationToken)
    {
        var (png, svg) = AdcShowCommand.Formats(s.Format);
        var spec = CurveImport.ReadSpec(s.Spec);
        using var scope = TorchSharp.torch.NewDisposeScope();
        var (pop, report) = CurveImport.Import(spec, s.Spec);
        var name = Path.GetFileNameWithoutExtension(s.Spec);
        var popPath = PopulationPath(spec, s.Spec);
        PopulationFile.Save(popPath, pop, report.File);
        var lin = Characterization.Measure(pop);
        var stats = AdcReport.Of(name, "population", pop, lin);
        var files = AdcPlots.Write(s.Out ?? Path.Combine("runs", "adc", name), name, pop, lin, png, svg);
        AnsiConsole.MarkupLine(
            $"imported {report.Instances} curves ({report.Corners} " +
            $"corner(s): {Markup.Escape(string.Join(", ", report.CornerNames))}) from {report.Rows} rows " +
            $"of {Markup.Escape(report.File)} ({report.Layout} layout)");
        AnsiConsole.MarkupLine(
            Markup.Escape(
            $"input range [{report.InputMin:G4}, {report.InputMax:G4}], LSB {report.LsbPhysical:G4}; non-monotonic " +
            $"curves: {report.NonMonotonicCurves}; unreached codes: {report.UnreachedCodes}; codes produced at the " +
            $"lowest input: {report.CodesAtLowestInput}; fewest points per curve: {report.MinPointsPerCurve}; " +
            $"non-numeric output cells: {report.MissingCells}; failed rows dropped: {report.FailedRows}"));
        if (report.ShortCurves is { Count: > 0 } sc)
            AnsiConsole.MarkupLine(
                Markup.Escape(
                $"curves with missing " +
                $"points: {string.Join(", ", sc.Take(10))}{(sc.Count > 10 ? $" and {sc.Count - 10} more" : "")}"));
        AdcShowCommand.Print(stats, files.Prepend(popPath));
        if (s.Json is not null) IO.Json.WriteFile(s.Json, new AdcImportResult(popPath, report, stats));
        return 0;
    }
}
