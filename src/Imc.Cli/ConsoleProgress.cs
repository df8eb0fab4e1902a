using ImcSharp.Training;
using Spectre.Console;

namespace ImcSharp.Cli;

/// <summary>
/// Live progress bars (ETA, loss, accuracy) for a library loop that reports through a
/// <see cref="ProgressSink"/>; one bar per phase. Falls back to a line per finished phase when
/// the output is not a terminal.
/// </summary>
public static class ConsoleProgress
{
    /// <param name="hideCompleted">Long multi-phase jobs: show only the running phase's bar.</param>
    public static T Run<T>(Func<ProgressSink, T> work, bool hideCompleted = false)
    {
        if (!AnsiConsole.Profile.Capabilities.Interactive || Console.IsOutputRedirected)
            return work(PlainSink());
        T result = default!;
        AnsiConsole.Progress()
            .AutoClear(hideCompleted)
            .HideCompleted(hideCompleted)
            .Columns(new TaskDescriptionColumn { Alignment = Justify.Left }, new ProgressBarColumn(),
                new PercentageColumn(),
                new ElapsedTimeColumn(), new RemainingTimeColumn(), new SpinnerColumn())
            .Start(ctx =>
            {
                var tasks = new Dictionary<string, ProgressTask>();
                result = work(u =>
                {
                    if (!tasks.TryGetValue(u.Phase, out var task) || (task.IsFinished && u.Step < task.Value))
                    {
                        task = ctx.AddTask(u.Phase, maxValue: u.Steps);
                        tasks[u.Phase] = task;
                    }
                    task.Description = $"{u.Phase,-14} loss {u.Loss:F4}  acc {u.Accuracy * 100:F2}%";
                    task.Value = u.Step;
                });
            });
        return result;
    }

    /// <summary>A timestamped line from a long job's log.</summary>
    public static void Log(string line) =>
        AnsiConsole.MarkupLine($"[grey]{DateTime.Now:HH:mm:ss}[/] {Markup.Escape(line)}");

    static ProgressSink PlainSink()
    {
        return u =>
        {
            if (u.Step == u.Steps)
                Console.WriteLine($"{u.Phase,-14} {u.Steps} steps  loss {u.Loss:F4}  acc {u.Accuracy * 100:F2}%");
        };
    }
}
