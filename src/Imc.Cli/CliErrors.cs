using Spectre.Console;
using Spectre.Console.Cli;

namespace ImcSharp.Cli;

/// <summary>Every failure becomes one line on stderr and a non-zero exit; never a stack trace.</summary>
public static class CliErrors
{
    public const int BadInput = 2;
    public const int InternalError = 1;
    public const int Interrupted = 130;

    public static int Run(Func<int> body)
    {
        try
        {
            return body();
        }
        catch (Exception e)
        {
            var (code, message) = Describe(e);
            Console.Error.WriteLine($"imc: error: {message}");
            if (Environment.GetEnvironmentVariable("IMC_DEBUG") == "1") Console.Error.WriteLine(e);
            return code;
        }
    }

    static (int, string) Describe(Exception e) => e switch
    {
        ImcInputException x => (BadInput, x.Message),
        OperationCanceledException => (Interrupted, "interrupted; finished epochs are in the checkpoint, rerun with --resume to continue"),
        CommandParseException x => (BadInput, x.Message),
        CommandRuntimeException x => (BadInput, x.Message),
        UnauthorizedAccessException x => (BadInput, x.Message),
        IOException x => (BadInput, x.Message),
        TypeInitializationException { InnerException: { } inner } => (InternalError, "the tensor engine failed to load: " + FirstLine(inner.Message)),
        AggregateException { InnerException: { } inner } => Describe(inner),
        _ => (InternalError, $"{e.GetType().Name}: {FirstLine(e.Message)} (set IMC_DEBUG=1 for details)"),
    };

    static string FirstLine(string s) => s.Split('\n')[0].Trim();
}
