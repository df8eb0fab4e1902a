using System.Text.Json;
using System.Text.Json.Serialization;

namespace ImcSharp.IO;

/// <summary>One JSON convention for configs and results: snake_case names, enums as strings.</summary>
public static class Json
{
    public static readonly JsonSerializerOptions Options = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        WriteIndented = true,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.KebabCaseLower) },
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };

    /// <summary>Config files: as <see cref="Options"/>, and a misspelt field is an error rather than ignored.</summary>
    public static readonly JsonSerializerOptions Strict = new(Options) { UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow };

    /// <summary>One clear error for a JSON failure: the source, the field path, then what went wrong.</summary>
    public static ImcInputException InputError(JsonException e, string source, string fieldPrefix = "")
    {
        var field = e.Path is { Length: > 1 } p ? fieldPrefix + p.TrimStart('$', '.') : fieldPrefix.Length > 0 ? fieldPrefix.TrimEnd('.') : "(document)";
        var line = e.LineNumber is { } l ? $" (line {l + 1})" : "";
        return new ImcInputException($"{source}: {field}{line}: {FirstSentence(e.Message)}");
    }

    public static string Serialize<T>(T value) => JsonSerializer.Serialize(value, Options);

    public static void WriteFile<T>(string path, T value) => AtomicFile.WriteAllText(path, Serialize(value) + "\n");

    /// <summary>An enum value as it is written in JSON and on the command line (kebab case: fresh-chip, two-point).</summary>
    public static string Name(string enumName) => JsonNamingPolicy.KebabCaseLower.ConvertName(enumName);
    public static string Name<TEnum>(TEnum value) where TEnum : struct, Enum => Name(value.ToString());

    /// <summary>
    /// Reads a JSON file into a record (<see cref="Strict"/> for config files); any failure becomes
    /// one clear error naming file and field; a missing file is "{path}: {what} not found".
    /// </summary>
    public static T ReadFile<T>(string path, JsonSerializerOptions? options = null, string what = "file")
    {
        if (!File.Exists(path)) throw new ImcInputException($"{path}: {what} not found");
        try
        {
            return JsonSerializer.Deserialize<T>(File.ReadAllText(path), options ?? Options)
                   ?? throw new ImcInputException($"{path}: expected a JSON object, found null");
        }
        catch (JsonException e)
        {
            throw InputError(e, path);
        }
    }

    static string FirstSentence(string message)
    {
        var i = message.IndexOf(" Path:", StringComparison.Ordinal);
        return i > 0 ? message[..i] : message;
    }
}
