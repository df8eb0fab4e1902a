namespace ImcSharp.Training;

/// <summary>A progress report from a long loop: which phase, how far, and live figures.</summary>
public sealed record ProgressUpdate(string Phase, int Step, int Steps, double Loss, double Accuracy);

/// <summary>Synchronous progress sink (never posts to another thread: the loop waits for it).</summary>
public delegate void ProgressSink(ProgressUpdate update);
