using System.Text.RegularExpressions;
using Spectre.Console.Cli;

namespace ImcSharp.Cli;

/// <summary>Every failure becomes one line on stderr and a non-zero exit; never a stack trace.</summary>
public static partial class CliErrors
{
    public const int BadInput = 2;
    public const int InternalError = 1;
    public const int Interrupted = 130;

    public static int Run(Func<int> body, string[]? args = null)
    {
        try
        {
            return body();
        }
        catch (Exception e)
        {
            var (code, message) = Describe(e, args ?? Array.Empty<string>());
            Console.Error.WriteLine($"imc: error: {message}");
            if (Environment.GetEnvironmentVariable("IMC_DEBUG") == "1") Console.Error.WriteLine(e);
            return code;
        }
    }

    /// <summary>What an interrupted run tells the user; commands that resume by themselves say so.</summary>
    public static string InterruptedHint { get; set; } = "interrupted";

    static (int, string) Describe(Exception e, string[] args) => e switch
    {
        ImcInputException { Setting: { } setting } x =>
            (BadInput, $"{Option(setting, args)} {ImcInputException.Show(x.Value)}: {x.Expected}"),
        ImcInputException x => (BadInput, x.Message),
        OperationCanceledException => (Interrupted, InterruptedHint),
        CommandParseException x => (BadInput, Parse(x.Message, args)),
        CommandRuntimeException x => (BadInput, Parse(x.Message, args)),
        UnauthorizedAccessException x => (BadInput, x.Message),
        IOException x => (BadInput, x.Message),
        TypeInitializationException { InnerException: { } inner } =>
            (InternalError, "the tensor engine failed to load: " + FirstLine(inner.Message)),
        AggregateException { InnerException: { } inner } => Describe(inner, args),
        _ => (InternalError, $"{e.GetType().Name}: {FirstLine(e.Message)} (set IMC_DEBUG=1 for details)"),
    };

    /// <summary>
    /// The option a library setting is given by: "--" and its kebab-case name, except where the CLI names it otherwise.
    /// </summary>
    static string Option(string setting, string[] args) => setting switch
    {
        "learning_rate" => "--lr",
        "chip" when args.Contains("--train-chip") || !args.Contains("--chip") => "--train-chip",
        "corner" when args.Contains("--train-corner") => "--train-corner",
        _ => "--" + setting.Replace('_', '-'),
    };

    /// <summary>The command words before the first option: "train", "adc show".</summary>
    static string CommandOf(string[] args) => string.Join(' ', args.TakeWhile(a => !a.StartsWith('-')).Take(2)
        .Where(a => a is "train" or "eval" or "adc" or "show" or "import" or "cost" or "sweep" or "merge"
            or "experiment" or "approx-adc" or "demo"));

    /// <summary>
    /// Spectre's parse messages in the CLI's words: the option as typed (--epoch, not 'epoch'), the
    /// value with the option it was given to, and where to look for what is accepted.
    /// </summary>
    static string Parse(string message, string[] args)
    {
        message = FirstLine(message).TrimEnd('.');
        var cmd = CommandOf(args);
        var help = cmd.Length > 0 ? $"`imc {cmd} --help`" : "`imc --help`";
        if (UnknownOption().Match(message) is { Success: true } u)
        {
            var typed = args.FirstOrDefault(a => a.TrimStart('-').Split('=')[0] == u.Groups[1].Value
                && a.StartsWith('-')) ?? "--" + u.Groups[1].Value;
            return $"unknown option {typed.Split('=')[0]}{(cmd.Length > 0 ? $" for `imc {cmd}`" : "")}; see {help} " +
                "for the options";
        }
        if (UnknownCommand().Match(message) is { Success: true } c)
            return $"unexpected argument '{c.Groups[1].Value}'{(cmd.Length > 0 ? $" for `imc {cmd}`" : "")}; " +
                $"see {help}";
        if (NoMatch().Match(message) is { Success: true } m)
            return $"unexpected extra argument '{m.Groups[1].Value}'{(cmd.Length > 0 ? $" for `imc {cmd}`" : "")}; " +
                $"see {help}";
        if (Convert().Match(message) is { Success: true } v)
        {
            var value = v.Groups[1].Value;
            var i = Array.IndexOf(args, value);
            var option = i > 0 && args[i - 1].StartsWith('-') ? args[i - 1] : null;
            var expected = v.Groups[2].Value switch
            {
                "Int32" or "Int64" => "an integer",
                "Double" or "Single" or "Nullable`1" => "a number",
                "Boolean" => "true or false",
                var t => $"a {t} value",
            };
            if (value == "__default_command" || option is null && i < 0)
                return $"an option is missing its value (expected {expected}); see {help}";
            return $"{option ?? "argument"} '{value}': expected {expected}";
        }
        return message;
    }

    static string FirstLine(string s) => s.Split('\n')[0].Trim();

    [GeneratedRegex(@"^Unknown option '([^']+)'")] private static partial Regex UnknownOption();
    [GeneratedRegex(@"^Unknown command '([^']+)'")] private static partial Regex UnknownCommand();
    [GeneratedRegex(@"^Could not match '([^']+)' with an argument")] private static partial Regex NoMatch();
    [GeneratedRegex(@"^Failed to convert '(.*)' to ([\w`]+)$")] private static partial Regex Convert();
}
