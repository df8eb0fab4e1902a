using static TorchSharp.torch;

namespace ImcSharp.Data;

/// <summary>
/// CIFAR-10 binary format: each record is one label byte (0..9) followed by 3072 pixel bytes,
/// 1024 red then 1024 green then 1024 blue, each a 32x32 image in row-major order.
/// Training data is data_batch_1.bin .. data_batch_5.bin, test data test_batch.bin.
/// </summary>
public static class Cifar10Reader
{
    public const int Side = 32;
    public const int RecordBytes = 1 + 3 * Side * Side;
    public static readonly string[] TrainFiles = Enumerable.Range(1, 5).Select(i => $"data_batch_{i}.bin").ToArray();
    public const string TestFile = "test_batch.bin";

    public static ImageSet ReadFiles(string name, IReadOnlyList<string> paths)
    {
        var images = new List<byte>();
        var labels = new List<long>();
        foreach (var path in paths)
        {
            if (!File.Exists(path)) throw new ImcInputException(
                $"{path}: file not found (expected a CIFAR-10 binary batch)");
            var bytes = File.ReadAllBytes(path);
            if (bytes.Length == 0 || bytes.Length % RecordBytes != 0)
                throw new ImcInputException(
                    $"{path}: {bytes.Length} bytes is not a whole number of {RecordBytes}-byte CIFAR-10 records " +
                    "(truncated or not CIFAR-10 binary)");
            for (int off = 0; off < bytes.Length; off += RecordBytes)
            {
                byte label = bytes[off];
                if (label > 9)
                    throw new ImcInputException($"{path}: record {off / RecordBytes} has label {label}: expected 0..9");
                labels.Add(label);
                images.AddRange(new ArraySegment<byte>(bytes, off + 1, RecordBytes - 1));
            }
        }
        var n = labels.Count;
        return new ImageSet(name, tensor(images.ToArray()).view(n, 3, Side, Side), tensor(labels.ToArray()), 10);
    }
}
