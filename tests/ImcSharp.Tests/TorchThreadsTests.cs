using System.Runtime.InteropServices;

namespace ImcSharp.Tests;

public class TorchThreadsTests
{
    [Fact]
    public void LoopsRunOnLibtorchsOpenMpTeamWhereItShips()
    {
        // TorchSharp-cpu ships libtorch's libgomp beside it on Linux x64.
        if (OperatingSystem.IsLinux() && RuntimeInformation.ProcessArchitecture == Architecture.X64)
            Assert.True(TorchThreads.OnTorchTeam, "libtorch's libgomp was not found: loops fall back to .NET threads");
    }

    [Fact]
    public void EveryIndexRunsExactlyOnceOnSeveralThreads()
    {
        const int count = 10_000;
        var hits = new int[count];
        var threadIds = new System.Collections.Concurrent.ConcurrentDictionary<int, bool>();
        TorchThreads.For(count, 2, k =>
        {
            Interlocked.Increment(ref hits[k]);
            threadIds[Environment.CurrentManagedThreadId] = true;
            Thread.SpinWait(200);   // long enough for the second thread to take part
        });
        Assert.All(hits, h => Assert.Equal(1, h));
        if (TorchSharp.torch.get_num_threads() > 1) Assert.True(threadIds.Count > 1, "the loop ran on one thread only");
    }

    [Fact]
    public void AnExceptionInTheBodyReachesTheCaller()
    {
        var e = Assert.Throws<AggregateException>(() => TorchThreads.For(1000, 2, k => { if (k == 500) throw new InvalidOperationException("boom"); }));
        Assert.IsType<InvalidOperationException>(e.InnerException);
    }
}
