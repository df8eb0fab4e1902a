using System.Buffers.Binary;
using System.IO.Compression;

namespace ImcSharp.Data;

/// <summary>
/// Reads IDX files (the MNIST format), raw or gzip-compressed. Layout: two zero bytes, a type
/// byte (0x08 = unsigned byte, the only type MNIST-family data uses), the number of dimensions,
/// then each dimension as a big-endian int32, then the data in row-major order.
/// </summary>
public static class IdxReader
{
    public sealed record IdxArray(int[] Shape, byte[] Data);

    public static IdxArray Read(string path)
    {
        if (!File.Exists(path)) throw new ImcInputException($"{path}: file not found");
        byte[] bytes;
        try
        {
            bytes = ReadAllMaybeGzip(path);
        }
        catch (InvalidDataException e)
        {
            throw new ImcInputException($"{path}: corrupt or truncated gzip data ({e.Message})");
        }
        catch (EndOfStreamException)
        {
            throw new ImcInputException($"{path}: truncated gzip data");
        }
        return Parse(path, bytes);
    }

    static byte[] ReadAllMaybeGzip(string path)
    {
        using var file = File.OpenRead(path);
        Span<byte> head = stackalloc byte[2];
        int n = file.Read(head);
        file.Position = 0;
        using var ms = new MemoryStream();
        if (n == 2 && head[0] == 0x1f && head[1] == 0x8b)
        {
            using var gz = new GZipStream(file, CompressionMode.Decompress);
            gz.CopyTo(ms);
        }
        else
        {
            file.CopyTo(ms);
        }
        return ms.ToArray();
    }

    /// <summary>Parses an IDX image in memory; <paramref name="source"/> names it in errors.</summary>
    public static IdxArray Parse(string source, byte[] bytes)
    {
        if (bytes.Length < 4)
            throw new ImcInputException($"{source}: truncated: {bytes.Length} bytes, expected at least a 4-byte IDX header");
        if (bytes[0] != 0 || bytes[1] != 0)
            throw new ImcInputException($"{source}: wrong magic number 0x{bytes[0]:X2}{bytes[1]:X2}{bytes[2]:X2}{bytes[3]:X2}: expected an IDX file starting 0x0000 (e.g. 0x00000803 for images, 0x00000801 for labels)");
        if (bytes[2] != 0x08)
            throw new ImcInputException($"{source}: IDX data type 0x{bytes[2]:X2} not supported: expected 0x08 (unsigned byte)");
        int dims = bytes[3];
        if (dims < 1 || dims > 4)
            throw new ImcInputException($"{source}: IDX header declares {dims} dimensions: expected 1 to 4");
        int headerLen = 4 + 4 * dims;
        if (bytes.Length < headerLen)
            throw new ImcInputException($"{source}: truncated header: {bytes.Length} bytes, expected {headerLen}");
        var shape = new int[dims];
        long count = 1;
        for (int d = 0; d < dims; d++)
        {
            shape[d] = BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(4 + 4 * d));
            if (shape[d] <= 0) throw new ImcInputException($"{source}: dimension {d} is {shape[d]}: expected a positive size");
            count *= shape[d];
        }
        long have = bytes.Length - headerLen;
        if (have < count)
            throw new ImcInputException($"{source}: truncated: {have} data bytes, expected {count} for shape [{string.Join(", ", shape)}]");
        if (have > count)
            throw new ImcInputException($"{source}: {have - count} unexpected trailing bytes after {count} data bytes for shape [{string.Join(", ", shape)}]");
        return new IdxArray(shape, bytes.AsSpan(headerLen).ToArray());
    }
}
