namespace ImcSharp;

/// <summary>
/// Bad input from the user (a file, a config field, an option): the message names the source,
/// the field and what was expected. The CLI prints it as one line and exits non-zero.
/// </summary>
public sealed class ImcInputException : Exception
{
    public ImcInputException(string message) : base(message) { }
    public ImcInputException(string message, Exception inner) : base(message, inner) { }
}
