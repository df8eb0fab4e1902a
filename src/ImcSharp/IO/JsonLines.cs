using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace ImcSharp.IO;

/// <summary>
/// JSON Lines files of finished work (chips, sweep points): one compact record per line, appended
/// and flushed one whole line at a time, so a kill leaves at most one torn line at the end.
/// </summary>
public static class JsonLines
{
    static readonly JsonSerializerOptions Options =
        new(Json.Options) { WriteIndented = false, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull };

    public static string Serialize<T>(T record) => JsonSerializer.Serialize(record, Options);

    public static void Append<T>(string path, T record)
    {
        var dir = Path.GetDirectoryName(Path.GetFullPath(path));
        if (!string.IsNullOrEmpty(dir)) Directory.CreateDirectory(dir);
        using var fs = new FileStream(path, FileMode.Append, FileAccess.Write, FileShare.Read);
        fs.Write(Encoding.UTF8.GetBytes(Serialize(record) + "\n"));
        fs.Flush(flushToDisk: true);
    }

    /// <summary>Replaces the file by these records (written, then renamed).</summary>
    public static void Write<T>(string path, IEnumerable<T> records) =>
        AtomicFile.WriteAllText(path, string.Concat(records.Select(r => Serialize(r) + "\n")));

    /// <summary>
    /// The records of a file (none if it does not exist). A torn last line is removed from the file
    /// so the next append starts a clean line; any other unreadable line is one error naming the
    /// file, the line and <paramref name="what"/> was expected.
    /// </summary>
    public static List<T> Read<T>(string path, string what)
    {
        var list = new List<T>();
        if (!File.Exists(path)) return list;
        var lines = File.ReadAllLines(path).Where(l => l.Trim().Length > 0).ToArray();
        for (int i = 0; i < lines.Length; i++)
        {
            try { list.Add(JsonSerializer.Deserialize<T>(lines[i], Options) ?? throw new JsonException("null")); }
            catch (JsonException) when (i == lines.Length - 1)
            {
                AtomicFile.WriteAllText(path, string.Concat(lines[..i].Select(l => l + "\n")));
            }
            catch (JsonException e) { throw new ImcInputException(
                $"{path}: line {i + 1} is not {what} ({e.Message})"); }
        }
        return list;
    }
}
