using System.Text;
using System.Text.Json;
using ImcSharp.Data;
using ImcSharp.IO;
using ImcSharp.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace ImcSharp.Training;

/// <summary>What a checkpoint says about itself, stored as JSON in front of the tensors.</summary>
public sealed record CheckpointInfo(
    ModelSpec Spec,
    Normalization Normalization,
    TrainOptions Options,
    int EpochsDone,
    double TestAccuracy,
    List<EpochRecord> History,
    AwareOptions? Aware = null,
    Dictionary<string, Nn.LayerCalibration>? Calibration = null);

/// <summary>
/// One epoch of training. Peripheral-aware training on a design with several global corners scores
/// the held-out chip in every corner: <see cref="TestAccuracy"/> is then the worst corner's (a
/// collapsed corner cannot hide behind a good one), <see cref="CornerAccuracy"/> each corner's.
/// </summary>
public sealed record EpochRecord(int Epoch, double TrainLoss, double TrainAccuracy, double TestAccuracy, double Seconds,
    Dictionary<string, double>? CornerAccuracy = null, string? WorstCorner = null);

/// <summary>
/// Checkpoint file: the 8 magic bytes "IMCCKPT1", a little-endian int32 length, that many bytes
/// of UTF-8 JSON (<see cref="CheckpointInfo"/>), the model state (TorchSharp format), then a
/// flag byte and, if set, the optimizer state so a run can resume. Written to a temporary file
/// and renamed, so a crash mid-write leaves the previous checkpoint intact.
/// </summary>
public static class Checkpoint
{
    static readonly byte[] Magic = Encoding.ASCII.GetBytes("IMCCKPT1");
    // A trailer proves the file was written to the end: truncation anywhere is caught on open.
    static readonly byte[] Trailer = Encoding.ASCII.GetBytes("IMCEND01");

    public static void Save(string path, CheckpointInfo info, nn.Module model, optim.Optimizer? optimizer)
    {
        AtomicFile.Write(path, stream =>
        {
            using var w = new BinaryWriter(stream, Encoding.UTF8, leaveOpen: true);
            w.Write(Magic);
            var json = Encoding.UTF8.GetBytes(JsonSerializer.Serialize(info, Json.Options));
            w.Write(json.Length);
            w.Write(json);
            model.save(w);
            w.Write(optimizer is not null);
            if (optimizer is TorchSharp.Modules.OptimizerHelper helper) helper.save_state_dict(w);
            w.Write(Trailer);
        });
    }

    public static CheckpointInfo ReadInfo(string path) => Open(path, (info, _) => info);

    /// <summary>Loads the model (built from the stored spec) and, when given, the optimizer state.</summary>
    public static (CheckpointInfo Info, nn.Module<Tensor, Tensor> Model) Load(string path, Func<nn.Module<Tensor, Tensor>, optim.Optimizer>? makeOptimizer = null, Action<optim.Optimizer>? withOptimizer = null)
    {
        return Open(path, (info, r) =>
        {
            var model = info.Spec.Build();
            try
            {
                model.load(r);
                bool hasOptimizer = r.ReadBoolean();
                if (makeOptimizer is not null)
                {
                    var opt = makeOptimizer(model);
                    if (hasOptimizer && opt is TorchSharp.Modules.OptimizerHelper helper) helper.load_state_dict(r);
                    withOptimizer?.Invoke(opt);
                }
            }
            catch (Exception e) when (e is EndOfStreamException or ArgumentException or InvalidOperationException or IOException)
            {
                model.Dispose();
                throw new ImcInputException($"{path}: model or optimizer state is truncated or does not match {info.Spec.Name} ({e.Message})");
            }
            return (info, model);
        });
    }

    static T Open<T>(string path, Func<CheckpointInfo, BinaryReader, T> body)
    {
        if (!File.Exists(path)) throw new ImcInputException($"{path}: checkpoint not found");
        using var fs = File.OpenRead(path);
        using var r = new BinaryReader(fs, Encoding.UTF8);
        CheckpointInfo info;
        try
        {
            var magic = r.ReadBytes(Magic.Length);
            if (!magic.AsSpan().SequenceEqual(Magic))
                throw new ImcInputException($"{path}: not an ImcSharp checkpoint (expected the magic bytes IMCCKPT1)");
            fs.Seek(-Trailer.Length, SeekOrigin.End);
            if (!r.ReadBytes(Trailer.Length).AsSpan().SequenceEqual(Trailer))
                throw new ImcInputException($"{path}: truncated checkpoint (the end marker IMCEND01 is missing)");
            fs.Seek(Magic.Length, SeekOrigin.Begin);
            int len = r.ReadInt32();
            if (len <= 0 || len > fs.Length) throw new ImcInputException($"{path}: corrupt header length {len}");
            var json = r.ReadBytes(len);
            if (json.Length != len) throw new ImcInputException($"{path}: truncated header");
            info = JsonSerializer.Deserialize<CheckpointInfo>(json, Json.Options)
                   ?? throw new ImcInputException($"{path}: empty checkpoint header");
        }
        catch (EndOfStreamException)
        {
            throw new ImcInputException($"{path}: truncated checkpoint header");
        }
        catch (JsonException e)
        {
            throw new ImcInputException($"{path}: checkpoint header is not valid JSON ({e.Message})");
        }
        return body(info, r);
    }
}
