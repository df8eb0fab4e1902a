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
        // Names only: a number where a name is expected ("subtract": 1) is an error, not the enum's value 1.
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.KebabCaseLower, allowIntegerValues: false) },
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };

    /// <summary>
    /// Config files: as <see cref="Options"/>, but a misspelt field is an error rather than ignored,
    /// and numbers must be JSON numbers (no "Infinity" or "NaN" strings: a design value is finite).
    /// </summary>
    public static readonly JsonSerializerOptions Strict = new(Options)
    {
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
        NumberHandling = JsonNumberHandling.Strict,
        // null where a field is not optional (a file name, a kind) is an error here, not a crash later.
        RespectNullableAnnotations = true,
    };

    /// <summary>One clear error for a JSON failure: the source, the field path, then what went wrong.</summary>
    public static ImcInputException InputError(JsonException e, string source, string fieldPrefix = "")
    {
        var field = e.Path is { Length: > 1 } p ? fieldPrefix + p.TrimStart('$', '.') : fieldPrefix.Length > 0
            ? fieldPrefix.TrimEnd('.') : "";
        // A converter (the ADC config's) names the field inside the object it was reading.
        if (e.Data["field"] is string inner) field = field.Length > 0 ? field + "." + inner : inner;
        if (field.Length == 0) field = "(document)";
        var line = e.LineNumber is { } l ? $" (line {l + 1})" : "";
        return new ImcInputException(
            $"{source}: {field}{line}: {(e.Data["field"] is string ? e.Message : Explain(FirstSentence(e.Message)))}");
    }

    /// <summary>
    /// System.Text.Json's messages in the config's words: JSON names and allowed values, never .NET type names.
    /// </summary>
    public static string Explain(string message)
    {
        message = FirstSentence(message);
        var unknown =
            System.Text.RegularExpressions.Regex.Match(message,
            @"The JSON property '([^']+)' could not be mapped to any \.NET member contained in type '([^']+)'");
        if (unknown.Success)
        {
            var keys = FindType(unknown.Groups[2].Value) is { } t
                ? t.GetProperties().Where(p => p.CanWrite
                    && p.GetCustomAttributes(typeof(JsonIgnoreAttribute), true).Length == 0)
                    .Select(p => JsonNamingPolicy.SnakeCaseLower.ConvertName(p.Name)).OrderBy(n => n,
                        StringComparer.Ordinal).ToList()
                : new List<string>();
            return $"unknown key '{unknown.Groups[1].Value}'"
                + (keys.Count > 0 ? $"; expected one of: {string.Join(", ", keys)}" : "");
        }
        var convert =
            System.Text.RegularExpressions.Regex.Match(message, @"could not be converted to ([\w.`\[\]+, =]+?)\.?$");
        if (convert.Success)
        {
            var typeName = convert.Groups[1].Value;
            var nullable = System.Text.RegularExpressions.Regex.Match(typeName, @"Nullable`1\[\[?([^,\]]+)");
            if (nullable.Success) typeName = nullable.Groups[1].Value;
            return typeName switch
            {
                "System.Double" or "System.Single" =>
                    "expected a finite number (a JSON number; Infinity and NaN are not design values)",
                "System.Int32" or "System.Int64" => "expected an integer",
                "System.Boolean" => "expected true or false",
                "System.String" => "expected a string",
                _ when FindType(typeName) is { IsEnum: true } en =>
                    $"expected one of: {string.Join(", ", Enum.GetNames(en).Select(Name))}",
                _ when typeName.Contains("List`1") || typeName.EndsWith("[]") => "expected a list",
                _ when typeName.Contains("Dictionary`2") => "expected an object",
                _ => "expected "
                    + (FindType(typeName) is { } known && !known.IsPrimitive ? "an object"
                    : "a different kind of value"),
            };
        }
        if (message.Contains("does not contain any JSON tokens", StringComparison.Ordinal)) return "the file is " +
            "empty: expected a JSON object";
        if (message.Contains("trailing comma", StringComparison.Ordinal)) return "a trailing comma before a closing " +
            "bracket: JSON does not allow it";
        if (message.Contains("is an invalid start of a value", StringComparison.Ordinal))
            return message.TrimEnd('.')
                + " (JSON values are numbers, \"strings\", true, false, null, [lists] or {objects}; Infinity and NaN " +
                "are not JSON)";
        return message;
    }

    static Type? FindType(string fullName) =>
        typeof(Json).Assembly.GetType(fullName)
            ?? AppDomain.CurrentDomain.GetAssemblies().Select(a => a.GetType(fullName))
            .FirstOrDefault(t => t is not null);

    public static string Serialize<T>(T value) => JsonSerializer.Serialize(value, Options);

    public static void WriteFile<T>(string path, T value) => AtomicFile.WriteAllText(path, Serialize(value) + "\n");

    /// <summary>
    /// Data files written by ImcSharp (populations): unknown keys are errors, but ±Infinity is a value (a code never
    /// reached).
    /// </summary>
    public static readonly JsonSerializerOptions StrictData =
        new(Options) { UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow };

    /// <summary>
    /// An enum value as it is written in JSON and on the command line (kebab case: fresh-chip, two-point).
    /// </summary>
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
            var text = File.ReadAllText(path);
            RejectNullElements(text, path);
            return JsonSerializer.Deserialize<T>(text, options ?? Options)
                   ?? throw new ImcInputException($"{path}: expected a JSON object, found null");
        }
        catch (JsonException e)
        {
            throw InputError(e, path);
        }
    }

    /// <summary>
    /// A null inside a list ("corners": [null], "instances": [null]) is one error naming it: no list
    /// of a config or data file holds nulls, and the records' readers would meet a null element
    /// only later, as a crash. The one exception is a population file's "thresholds", where null
    /// is a transition never reached. Text that is not JSON is left to the deserializer's own error.
    /// </summary>
    public static void RejectNullElements(string json, string source)
    {
        System.Text.Json.Nodes.JsonNode? root;
        try { root =
            System.Text.Json.Nodes.JsonNode.Parse(json,
            documentOptions: new JsonDocumentOptions { AllowTrailingCommas = false }); }
        catch (JsonException) { return; }
        if (FirstNullElement(root, "") is { } at) throw new ImcInputException(
            $"{source}: {at}: null in a list: expected a value");
    }

    static string? FirstNullElement(System.Text.Json.Nodes.JsonNode? node, string at)
    {
        switch (node)
        {
            case System.Text.Json.Nodes.JsonObject o:
                foreach (var (k, v) in o)
                    if (k != "thresholds"
                        && FirstNullElement(v, at.Length == 0 ? k : $"{at}.{k}") is { } found) return found;
                return null;
            case System.Text.Json.Nodes.JsonArray a:
                for (int i = 0; i < a.Count; i++)
                {
                    if (a[i] is null) return $"{at}[{i}]";
                    if (FirstNullElement(a[i], $"{at}[{i}]") is { } found) return found;
                }
                return null;
            default:
                return null;
        }
    }

    static string FirstSentence(string message)
    {
        // The position is reported once, 1-based, by the caller: cut the reader's own (0-based) one.
        foreach (var marker in new[] { " Path:", " LineNumber:" })
        {
            var i = message.IndexOf(marker, StringComparison.Ordinal);
            if (i > 0) message = message[..i];
        }
        return message.TrimEnd(' ', '|');
    }
}
