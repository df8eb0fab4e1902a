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
    /// <summary>
    /// The data read: <paramref name="Shape"/> with its first dimension cut to what was read;
    /// <paramref name="Declared"/> is the header's first dimension.
    /// </summary>
    public sealed record IdxArray(int[] Shape, byte[] Data, int Declared);

    /// <summary>
    /// Reads the file, or only its first <paramref name="limit"/> items (0: all; the rest is not
    /// decompressed, so taking 1,000 calibration images of 60,000 costs 1,000).
    /// </summary>
    public static IdxArray Read(string path, long limit = 0)
    {
        if (!File.Exists(path)) throw new ImcInputException($"{path}: file not found");
        try
        {
            using var file = File.OpenRead(path);
            Span<byte> head = stackalloc byte[2];
            int n = file.ReadAtLeast(head, 2, throwOnEndOfStream: false);
            file.Position = 0;
            if (n == 2 && head[0] == 0x1f && head[1] == 0x8b)
            {
                using var gz = new GZipStream(file, CompressionMode.Decompress);
                return ReadFrom(path, gz, limit);
            }
            return ReadFrom(path, file, limit);
        }
        catch (InvalidDataException e)
        {
            throw new ImcInputException($"{path}: corrupt or truncated gzip data ({e.Message})");
        }
        catch (EndOfStreamException)
        {
            throw new ImcInputException($"{path}: truncated gzip data");
        }
    }

    /// <summary>Parses an IDX image in memory; <paramref name="source"/> names it in errors.</summary>
    public static IdxArray Parse(string source, byte[] bytes, long limit = 0)
    {
        using var stream = new MemoryStream(bytes, writable: false);
        return ReadFrom(source, stream, limit);
    }

    static IdxArray ReadFrom(string source, Stream stream, long limit)
    {
        Span<byte> magic = stackalloc byte[4];
        int got = stream.ReadAtLeast(magic, 4, throwOnEndOfStream: false);
        if (got < 4)
            throw new ImcInputException($"{source}: truncated: {got} bytes, expected at least a 4-byte IDX header");
        if (magic[0] != 0 || magic[1] != 0)
            throw new ImcInputException(
                $"{source}: wrong magic number 0x{magic[0]:X2}{magic[1]:X2}{magic[2]:X2}{magic[3]:X2}: expected an " +
                "IDX file starting 0x0000 (e.g. 0x00000803 for images, 0x00000801 for labels)");
        if (magic[2] != 0x08)
            throw new ImcInputException(
                $"{source}: IDX data type 0x{magic[2]:X2} not supported: expected 0x08 (unsigned byte)");
        int dims = magic[3];
        if (dims < 1 || dims > 4)
            throw new ImcInputException($"{source}: IDX header declares {dims} dimensions: expected 1 to 4");
        var header = new byte[4 * dims];
        got = stream.ReadAtLeast(header, header.Length, throwOnEndOfStream: false);
        if (got < header.Length)
            throw new ImcInputException($"{source}: truncated header: {4 + got} bytes, expected {4 + header.Length}");
        var shape = new int[dims];
        long count = 1;
        for (int d = 0; d < dims; d++)
        {
            shape[d] = BinaryPrimitives.ReadInt32BigEndian(header.AsSpan(4 * d));
            if (shape[d] <= 0) throw new ImcInputException(
                $"{source}: dimension {d} is {shape[d]}: expected a positive size");
            count *= shape[d];
        }
        int declared = shape[0];
        long item = count / declared;
        int items = limit > 0 ? (int)Math.Min(limit, declared) : declared;
        long want = items * item;
        if (want > Array.MaxLength) throw new ImcInputException(
            $"{source}: {want} data bytes for shape [{string.Join(", ", shape)}]: more than one array holds");
        var data = new byte[want];
        got = stream.ReadAtLeast(data, data.Length, throwOnEndOfStream: false);
        if (got < want)
            throw new ImcInputException(
                $"{source}: truncated: {got} data bytes, expected {want} for shape [{string.Join(", ", shape)}]");
        if (items == declared)
        {
            // The whole file was asked for: anything after the declared data is a malformed file.
            long trailing = 0;
            var probe = new byte[4096];
            for (int r; (r = stream.Read(probe)) > 0;) trailing += r;
            if (trailing > 0)
                throw new ImcInputException(
                    $"{source}: {trailing} unexpected trailing bytes after {count} data bytes for " +
                    $"shape [{string.Join(", ", shape)}]");
        }
        shape[0] = items;
        return new IdxArray(shape, data, declared);
    }
}
