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
    Dictionary<string, Nn.LayerCalibration>? Calibration = null,
    EpochProgress? Partial = null,
    SortedDictionary<string, string>? Key = null)
{
    /// <summary>
    /// Corner sampling weighted to the worst corner: the per-corner test scores of the network before aware
    /// training (the worst corner of the first epoch); measured once and kept, so a resumed run samples the same.
    /// </summary>
    [System.Text.Json.Serialization.JsonIgnore(Condition =
        System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)]
    public EpochRecord? Start { get; init; }
}

/// <summary>
/// Steps already trained in the epoch after <see cref="CheckpointInfo.EpochsDone"/> (0-based
/// <see cref="Epoch"/>), with the running sums of its report: a resumed run skips those batches
/// (the epoch's shuffle is a function of seed and epoch) and goes on from there.
/// </summary>
public sealed record EpochProgress(int Epoch, int Steps, double LossSum, long Correct, long Seen, double Seconds);

/// <summary>
/// One epoch of training. Peripheral-aware training on a design with several global corners scores
/// the held-out chip in every corner: <see cref="TestAccuracy"/> is then the worst corner's (a
/// collapsed corner cannot hide behind a good one), <see cref="CornerAccuracy"/> each corner's.
/// </summary>
public sealed record EpochRecord(int Epoch, double TrainLoss, double TrainAccuracy, double TestAccuracy, double Seconds,
    Dictionary<string, double>? CornerAccuracy = null, string? WorstCorner = null);

/// <summary>
/// Checkpoint file: the 8 magic bytes "IMCCKPT2", a little-endian int32 length, that many bytes
/// of UTF-8 JSON (<see cref="CheckpointInfo"/>), the model state (TorchSharp format), a flag
/// byte and, if set, the optimizer state so a run can resume; then the SHA-256 of all bytes
/// before it and the end marker "IMCEND01". Written to a temporary file and renamed, so a crash
/// mid-write leaves the previous checkpoint intact. (IMCCKPT1 files, without the hash, load.)
/// </summary>
public static class Checkpoint
{
    static readonly byte[] Magic = Encoding.ASCII.GetBytes("IMCCKPT2");
    // Files written before checksums (no hash before the end marker) still load.
    static readonly byte[] MagicV1 = Encoding.ASCII.GetBytes("IMCCKPT1");
    // A trailer proves the file was written to the end: truncation anywhere is caught on open.
    static readonly byte[] Trailer = Encoding.ASCII.GetBytes("IMCEND01");
    const int HashBytes = 32;

    public static void Save(string path, CheckpointInfo info, nn.Module model, optim.Optimizer? optimizer)
    {
        using var body = new MemoryStream();
        using (var w = new BinaryWriter(body, Encoding.UTF8, leaveOpen: true))
        {
            w.Write(Magic);
            var json = Encoding.UTF8.GetBytes(JsonSerializer.Serialize(info, Json.Options));
            w.Write(json.Length);
            w.Write(json);
            model.save(w);
            w.Write(optimizer is not null);
            if (optimizer is TorchSharp.Modules.OptimizerHelper helper) helper.save_state_dict(w);
        }
        // SHA-256 of everything before it: a flipped byte anywhere (header, weights, optimizer) is caught on load.
        var hash = System.Security.Cryptography.SHA256.HashData(body.GetBuffer().AsSpan(0, (int)body.Length));
        AtomicFile.Write(path, stream =>
        {
            body.Position = 0;
            body.CopyTo(stream);
            stream.Write(hash);
            stream.Write(Trailer);
        });
    }

    /// <summary>
    /// Writes a network trained elsewhere (imported from <paramref name="source"/>, a file of
    /// <paramref name="format"/>) as a checkpoint: no epochs of ours, keyed by the source file's content.
    /// </summary>
    public static CheckpointInfo SaveImported(string path, string source, string format, ModelSpec spec,
        Normalization normalization, string dataset, nn.Module model)
    {
        RequireFinite(model, source);
        var info = new CheckpointInfo(spec, normalization,
            new TrainOptions { Model = spec.Name, Dataset = dataset, Epochs = 1 }, 0, 0, new List<EpochRecord>(),
            Key: RunKey.Of(("imported_from", $"{format} {RunKey.HashFile(source)}")).Parts);
        Save(path, info, model, null);
        return info;
    }

    /// <summary>
    /// Refuses a network with a NaN or infinite parameter or buffer, the same way at import and at
    /// load: a float evaluation of it would print a NaN loss and chance accuracy, exit 0.
    /// </summary>
    public static void RequireFinite(nn.Module model, string source)
    {
        using var g = no_grad();
        foreach (var (name, t) in model.named_parameters().Select(p => (p.name, (Tensor)p.parameter))
            .Concat(model.named_buffers().Select(b => (b.name, b.buffer))))
        {
            if (!t.is_floating_point() || t.numel() == 0) continue;
            if (!t.isfinite().all().item<bool>())
                throw new ImcInputException(
                    $"{source}: {name} holds NaN or infinite values: the network diverged or the file is damaged");
        }
    }

    public static CheckpointInfo ReadInfo(string path) => Open(path, (info, _) => info);

    /// <summary>
    /// Loads the model (built from the stored spec, moved to <paramref name="device"/> when given) and, when given, the
    /// optimizer state.
    /// </summary>
    public static (CheckpointInfo Info, nn.Module<Tensor, Tensor> Model) Load(string path, Func<nn.Module<Tensor,
        Tensor>, optim.Optimizer>? makeOptimizer = null, Action<optim.Optimizer>? withOptimizer = null,
        Device? device = null)
    {
        return Open(path, (info, r) =>
        {
            var model = info.Spec.Build();
            try
            {
                model.load(r);
                RequireFinite(model, path);
                // Before the optimizer is made: it holds the parameters the move creates.
                if (device is not null && device.type != DeviceType.CPU) model.to(device);
                bool hasOptimizer = r.ReadBoolean();
                if (makeOptimizer is not null)
                {
                    var opt = makeOptimizer(model);
                    if (hasOptimizer && opt is TorchSharp.Modules.OptimizerHelper helper) helper.load_state_dict(r);
                    withOptimizer?.Invoke(opt);
                }
            }
            catch (Exception e) when (e is EndOfStreamException or ArgumentException or InvalidOperationException
                                      or IOException)
            {
                model.Dispose();
                throw new ImcInputException(
                    $"{path}: model or optimizer state is truncated or does not match {info.Spec.Name} ({e.Message})");
            }
            return (info, model);
        });
    }

    static T Open<T>(string path, Func<CheckpointInfo, BinaryReader, T> body)
    {
        if (!File.Exists(path)) throw new ImcInputException($"{path}: checkpoint not found");
        var bytes = File.ReadAllBytes(path);
        var head = bytes.AsSpan(0, Math.Min(Magic.Length, bytes.Length));
        bool v1 = head.SequenceEqual(MagicV1);
        if (!v1 && !head.SequenceEqual(Magic))
            throw new ImcInputException(
                $"{path}: not an ImcSharp checkpoint (expected the magic bytes IMCCKPT2 or IMCCKPT1)");
        if (bytes.Length < Magic.Length + 4 + Trailer.Length
            || !bytes.AsSpan(bytes.Length - Trailer.Length).SequenceEqual(Trailer))
            throw new ImcInputException($"{path}: truncated checkpoint (the end marker IMCEND01 is missing)");
        int end = bytes.Length - Trailer.Length;
        if (!v1)
        {
            end -= HashBytes;
            if (end < Magic.Length + 4) throw new ImcInputException($"{path}: truncated checkpoint");
            var stored = bytes.AsSpan(end, HashBytes);
            var actual = System.Security.Cryptography.SHA256.HashData(bytes.AsSpan(0, end));
            if (!stored.SequenceEqual(actual))
                throw new ImcInputException(
                    $"{path}: checksum mismatch: the checkpoint was changed or damaged after it was written " +
                    $"(SHA-256 {Convert.ToHexString(actual)[..12].ToLowerInvariant()}, " +
                    $"stored {Convert.ToHexString(stored)[..12].ToLowerInvariant()})");
        }
        using var fs = new MemoryStream(bytes, 0, end, writable: false);
        using var r = new BinaryReader(fs, Encoding.UTF8);
        CheckpointInfo info;
        try
        {
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

    /// <summary>SHA-256 of a checkpoint file (hex): what a result produced from it is keyed by.</summary>
    public static string Fingerprint(string path)
    {
        if (!File.Exists(path)) throw new ImcInputException($"{path}: checkpoint not found");
        using var fs = File.OpenRead(path);
        return Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(fs)).ToLowerInvariant();
    }
}
