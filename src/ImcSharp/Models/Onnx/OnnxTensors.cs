using Google.Protobuf;
using Onnx;
using static TorchSharp.torch;

namespace ImcSharp.Models;

/// <summary>
/// An ONNX file's tensors: external data read in, every initializer holding its data, as torch tensors.
/// </summary>
public static class OnnxTensors
{
    /// <summary>
    /// Initializers saved with external data (onnx's save_as_external_data: location, offset and
    /// length in a side file, relative to the model) are read into the tensor; every initializer
    /// must then hold its data: one without would import as zeros.
    /// </summary>
    public static void ReadExternalData(GraphProto graph, string path)
    {
        var dir = Path.GetDirectoryName(Path.GetFullPath(path)) ?? "";
        foreach (var t in graph.Initializer)
        {
            long n = t.Dims.Aggregate(1L, (a, b) => a * b);
            if (t.DataLocation == TensorProto.Types.DataLocation.External)
            {
                var entries = t.ExternalData.ToDictionary(e => e.Key, e => e.Value);
                if (!entries.TryGetValue("location", out var location) || location.Length == 0)
                    throw new ImcInputException($"{path}: initializer '{t.Name}': external data without a location");
                var file = Path.Combine(dir, location);
                if (!File.Exists(file))
                    throw new ImcInputException(
                        $"{path}: initializer '{t.Name}': its external data file {location} is not beside the " +
                        $"model ({file})");
                long offset = entries.TryGetValue("offset", out var o) && long.TryParse(o, out var ov) ? ov : 0;
                long size = new FileInfo(file).Length;
                long length =
                    entries.TryGetValue("length", out var l) && long.TryParse(l, out var lv) ? lv : size - offset;
                if (offset < 0 || length < 0 || offset + length > size)
                    throw new ImcInputException(
                        $"{path}: initializer '{t.Name}': bytes {offset} to {offset + length} of {location}, which " +
                        $"has {size}");
                using var stream = File.OpenRead(file);
                stream.Seek(offset, SeekOrigin.Begin);
                var bytes = new byte[length];
                stream.ReadExactly(bytes);
                t.RawData = ByteString.CopyFrom(bytes);
                t.ExternalData.Clear();
                t.DataLocation = TensorProto.Types.DataLocation.Default;
            }
            bool hasData =
                t.RawData.Length > 0 || t.FloatData.Count > 0 || t.DoubleData.Count > 0 || t.Int64Data.Count > 0
                || t.Int32Data.Count > 0;
            if (n > 0 && !hasData)
                throw new ImcInputException($"{path}: initializer '{t.Name}' holds no data (expected {n} values)");
        }
    }

    /// <summary>An ONNX tensor as a torch tensor: float, double, int32 or int64, raw or typed data.</summary>
    public static Tensor ToTensor(TensorProto t)
    {
        var shape = t.Dims.ToArray();
        long n = shape.Aggregate(1L, (a, b) => a * b);
        var raw = t.RawData.Span;
        Tensor result = (TensorProto.Types.DataType)t.DataType switch
        {
            TensorProto.Types.DataType.Float =>
                tensor(raw.Length > 0 ? System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(raw).ToArray()
                : t.FloatData.Count > 0 ? t.FloatData.ToArray() : new float[n]),
            TensorProto.Types.DataType.Double =>
                tensor(raw.Length > 0 ? System.Runtime.InteropServices.MemoryMarshal.Cast<byte, double>(raw).ToArray()
                : t.DoubleData.Count > 0 ? t.DoubleData.ToArray() : new double[n]).to_type(ScalarType.Float32),
            TensorProto.Types.DataType.Int64 =>
                tensor(raw.Length > 0 ? System.Runtime.InteropServices.MemoryMarshal.Cast<byte, long>(raw).ToArray()
                : t.Int64Data.Count > 0 ? t.Int64Data.ToArray() : new long[n]),
            TensorProto.Types.DataType.Int32 =>
                tensor(raw.Length > 0 ? System.Runtime.InteropServices.MemoryMarshal.Cast<byte,
                int>(raw).ToArray().Select(x => (long)x).ToArray()
                : t.Int32Data.Count > 0 ? t.Int32Data.Select(x => (long)x).ToArray() : new long[n]),
            TensorProto.Types.DataType.Bool =>
                tensor(raw.Length > 0 ? raw.ToArray().Select(b => b != 0).ToArray()
                : t.Int32Data.Count > 0 ? t.Int32Data.Select(x => x != 0).ToArray() : new bool[n]),
            var other =>
                throw new ImcInputException(
                $"initializer '{t.Name}': data type {other} not supported (float, double, int32, int64, bool)"),
        };
        return shape.Length == 0 ? result.reshape(Array.Empty<long>()) : result.reshape(shape);
    }
}
