using System.Buffers.Binary;
using System.IO.Compression;

namespace ImcSharp.Tests;

/// <summary>Generated datasets in the real file formats, so readers and training are tested without downloads.</summary>
public static class Synthetic
{
    /// <summary>This test run's scratch root, removed when the run ends (and, if a run was killed, by the next run).</summary>
    static readonly string RunRoot = CreateRunRoot();

    static string CreateRunRoot()
    {
        var root = Path.Combine(Path.GetTempPath(), "imcsharp-tests");
        Directory.CreateDirectory(root);
        foreach (var old in Directory.GetDirectories(root))
        {
            // Another run's scratch: kept while its process lives; older layouts (no run-PID) and dead runs go.
            var name = Path.GetFileName(old);
            if (name.StartsWith("run-", StringComparison.Ordinal) && int.TryParse(name[4..], out var pid) && IsRunning(pid)) continue;
            try { Directory.Delete(old, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        }
        var mine = Path.Combine(root, $"run-{Environment.ProcessId}");
        Directory.CreateDirectory(mine);
        AppDomain.CurrentDomain.ProcessExit += (_, _) =>
        {
            try { Directory.Delete(mine, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        };
        return mine;
    }

    static bool IsRunning(int pid)
    {
        try { using var p = System.Diagnostics.Process.GetProcessById(pid); return !p.HasExited; }
        catch (ArgumentException) { return false; }
        catch (InvalidOperationException) { return false; }
    }

    public static string TempDir()
    {
        var d = Path.Combine(RunRoot, Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(d);
        return d;
    }

    public static byte[] Idx(int[] shape, byte[] data)
    {
        var bytes = new byte[4 + 4 * shape.Length + data.Length];
        bytes[2] = 0x08;
        bytes[3] = (byte)shape.Length;
        for (int d = 0; d < shape.Length; d++) BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(4 + 4 * d), shape[d]);
        data.CopyTo(bytes, 4 + 4 * shape.Length);
        return bytes;
    }

    public static void WriteFile(string path, byte[] bytes, bool gzip)
    {
        if (!gzip) { File.WriteAllBytes(path, bytes); return; }
        using var fs = File.Create(path);
        using var gz = new GZipStream(fs, CompressionLevel.Fastest);
        gz.Write(bytes);
    }

    /// <summary>
    /// A learnable 10-class image set: class k lights a 4x4 block at a class-specific place, on
    /// seeded noise. Returns (pixels N*side*side, labels).
    /// </summary>
    public static (byte[] Pixels, byte[] Labels) Blocks(int n, int side, int seed, int channels = 1)
    {
        var rng = new Random(seed);
        var pixels = new byte[n * channels * side * side];
        var labels = new byte[n];
        for (int i = 0; i < n; i++)
        {
            int k = rng.Next(10);
            labels[i] = (byte)k;
            int r0 = 2 + (k / 5) * (side / 2), c0 = 2 + (k % 5) * (side - 6) / 5;
            for (int c = 0; c < channels; c++)
            for (int r = 0; r < side; r++)
            for (int q = 0; q < side; q++)
            {
                bool on = r >= r0 && r < r0 + 4 && q >= c0 && q < c0 + 4;
                pixels[((i * channels + c) * side + r) * side + q] = (byte)(on ? 200 + rng.Next(56) : rng.Next(60));
            }
        }
        return (pixels, labels);
    }

    /// <summary>Writes an MNIST-format directory (train and t10k, gzip) of synthetic 28x28 blocks.</summary>
    public static string MnistDir(int train = 600, int test = 200, int seed = 1)
    {
        var dir = TempDir();
        foreach (var (prefix, n, s) in new[] { ("train", train, seed), ("t10k", test, seed + 1) })
        {
            var (px, lb) = Blocks(n, 28, s);
            WriteFile(Path.Combine(dir, $"{prefix}-images-idx3-ubyte.gz"), Idx(new[] { n, 28, 28 }, px), gzip: true);
            WriteFile(Path.Combine(dir, $"{prefix}-labels-idx1-ubyte.gz"), Idx(new[] { n }, lb), gzip: true);
        }
        return dir;
    }

    /// <summary>CIFAR-10 binary records: label byte then 3072 pixel bytes (R, G, B planes).</summary>
    public static byte[] CifarRecords(int n, int seed)
    {
        var (px, lb) = Blocks(n, 32, seed, channels: 3);
        var bytes = new byte[n * 3073];
        for (int i = 0; i < n; i++)
        {
            bytes[i * 3073] = lb[i];
            Array.Copy(px, i * 3072, bytes, i * 3073 + 1, 3072);
        }
        return bytes;
    }
}

public static class TensorAssert
{
    /// <summary>Same shape and every element identical.</summary>
    public static bool Same(TorchSharp.torch.Tensor a, TorchSharp.torch.Tensor b) =>
        a.shape.SequenceEqual(b.shape) && a.eq(b).all().item<bool>();
}
