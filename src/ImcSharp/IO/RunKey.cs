using System.Globalization;

namespace ImcSharp.IO;

/// <summary>
/// What produced a resumable file (a chip results file, a sweep point, an experiment cache):
/// named parts such as the checkpoint's SHA-256, the design's fingerprint, the dataset's content
/// and the image counts. Work is reused only under an equal key; a different key is one error
/// naming the parts that differ, never a silent mix of two setups.
/// </summary>
public sealed record RunKey(SortedDictionary<string, string> Parts)
{
    /// <summary>A key of named parts, each value written in the invariant culture.</summary>
    public static RunKey Of(params (string Part, object Value)[] parts) => new(new SortedDictionary<string, string>(
        parts.ToDictionary(p => p.Part, p => System.Convert.ToString(p.Value, CultureInfo.InvariantCulture) ?? ""),
        StringComparer.Ordinal));

    /// <summary>Parts whose values differ (or are missing on one side), as "part: stored -> now".</summary>
    public List<string> Differences(IReadOnlyDictionary<string, string>? stored) =>
        Parts.Keys.Union(stored?.Keys ?? Enumerable.Empty<string>()).OrderBy(k => k, StringComparer.Ordinal)
            .Where(k => (stored is null || !stored.TryGetValue(k, out var s) ? null
                : s) != (Parts.TryGetValue(k, out var v) ? v : null))
            .Select(k => $"{k}: {Show(stored, k)} -> {Show(Parts, k)}").ToList();

    /// <summary>
    /// Throws unless <paramref name="stored"/> (read from <paramref name="path"/>) is this key; <paramref name="what"/>
    /// reads "{path}: {what} another setup".
    /// </summary>
    public void Check(IReadOnlyDictionary<string, string>? stored, string path, string what)
    {
        if (stored is null)
            throw new ImcInputException(
                $"{path}: has no record of what produced it (written by an older ImcSharp): delete it or choose " +
                "another file");
        var diff = Differences(stored);
        if (diff.Count > 0)
            throw new ImcInputException(
                $"{path}: {what} another setup ({string.Join("; ", diff)}): delete it or choose another file");
    }

    static string Show(IReadOnlyDictionary<string, string>? d, string k) =>
        d is not null && d.TryGetValue(k, out var v) ? v : "(none)";

    /// <summary>
    /// First 16 hex digits of a SHA-256: enough to tell setups apart, short enough to read in an error.
    /// </summary>
    public static string Hash(ReadOnlySpan<byte> bytes) =>
        System.Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(bytes))[..16].ToLowerInvariant();

    /// <summary>The <see cref="Hash"/> of a file's bytes, read as a stream.</summary>
    public static string HashFile(string path)
    {
        using var fs = File.OpenRead(path);
        return System.Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(fs))[..16].ToLowerInvariant();
    }
}
