using System.Diagnostics;

namespace ImcSharp.Bench;

/// <summary>One measured figure: median seconds per run over repeats, after warm-up.</summary>
public sealed record Measurement(string Name, double MedianSeconds, double MinSeconds, int Repeats, double ItemsPerRun, string Unit, double PeakMiB)
{
    public double Throughput => ItemsPerRun / MedianSeconds;
}

/// <summary>
/// A small timing harness: warm-up runs, then timed repeats; reports the median (robust to the
/// odd slow run on a shared 2-core machine) and the minimum. Peak memory is the process's
/// high-water resident set (VmHWM).
/// </summary>
public static class Harness
{
    public static Measurement Time(string name, Action run, double itemsPerRun, string unit, int warmup = 2, int repeats = 7)
    {
        for (int i = 0; i < warmup; i++) run();
        var times = new double[repeats];
        for (int i = 0; i < repeats; i++)
        {
            var sw = Stopwatch.StartNew();
            run();
            times[i] = sw.Elapsed.TotalSeconds;
        }
        Array.Sort(times);
        return new Measurement(name, times[repeats / 2], times[0], repeats, itemsPerRun, unit, PeakResidentMiB());
    }

    public static double PeakResidentMiB()
    {
        foreach (var line in File.Exists("/proc/self/status") ? File.ReadLines("/proc/self/status") : Array.Empty<string>())
            if (line.StartsWith("VmHWM:"))
                return double.Parse(line.Split(new[] { ' ', '\t' }, StringSplitOptions.RemoveEmptyEntries)[1]) / 1024.0;
        return double.NaN;
    }

    /// <summary>A figure as a ratio against its baseline measured in the same run: "1.23x what (min 1.20x)", medians then minima.</summary>
    public static string Ratio(Measurement m, Measurement baseline, string what) =>
        $"{m.MedianSeconds / baseline.MedianSeconds:F2}x {what} (min {m.MinSeconds / baseline.MinSeconds:F2}x)";

    public static void Print(IEnumerable<Measurement> ms)
    {
        Console.WriteLine($"{"benchmark",-50} {"median ms",10} {"min ms",10} {"throughput",14} {"",-10} {"peak MiB so far",15}");
        foreach (var m in ms)
            Console.WriteLine($"{m.Name,-50} {m.MedianSeconds * 1e3,10:F2} {m.MinSeconds * 1e3,10:F2} {m.Throughput,14:F0} {m.Unit,-10} {m.PeakMiB,15:F0}");
        Console.WriteLine($"peak resident memory: {PeakResidentMiB():F0} MiB");
    }
}
