using System.Collections;
using ImcSharp.Data;
using ImcSharp.Models;
using TorchSharp;
using TorchSharp.PyBridge;
using static TorchSharp.torch;

namespace ImcSharp.Training;

/// <summary>
/// A network trained in PyTorch, brought in as an ordinary checkpoint: a state dict saved with
/// <c>torch.save(model.state_dict(), path)</c> is read (TorchSharp.PyBridge's unpickler) into a
/// built-in architecture with the same parameter names, with the normalisation the network
/// expects of pixels in [0, 1] ((x - mean) / std per channel).
/// </summary>
public static class PyTorchImport
{
    /// <summary>
    /// What a file named as a state dict is instead, by its first bytes: torch.save writes a zip
    /// archive (PK); an ONNX model or a gzip file would otherwise get the unpickler's "saved using
    /// the old PyTorch format", which does not say what to do. Null when it may be a state dict.
    /// </summary>
    static string? NotAStateDict(string path)
    {
        var head = new byte[4];
        int n;
        using (var f = File.OpenRead(path)) n = f.Read(head, 0, 4);
        if (n == 0) return "empty file: expected a PyTorch state dict (torch.save(model.state_dict(), path))";
        if (n >= 2 && head[0] == 0x1f
            && head[1] == 0x8b) return "a gzip-compressed file: decompress it first (gunzip), then import the .pt " +
            "inside";
        if (n >= 4 && head[0] == (byte)'P' && head[1] == (byte)'K') return null;
        try
        {
            var onnx = Onnx.ModelProto.Parser.ParseFrom(File.ReadAllBytes(path));
            if (onnx.Graph is { Node.Count: > 0 }) return "an ONNX model, not a PyTorch state dict: import it " +
                "without --model (it brings its own graph), named .onnx";
        }
        catch (Google.Protobuf.InvalidProtocolBufferException) { }
        return null;
    }

    /// <summary>
    /// Reads <paramref name="path"/> into a fresh <paramref name="spec"/> model. Every key must
    /// match one of the model's parameters and buffers in name and shape: otherwise one error lists
    /// the missing, unexpected and mis-shaped keys.
    /// </summary>
    public static nn.Module<Tensor, Tensor> Load(string path, ModelSpec spec)
    {
        if (!File.Exists(path)) throw new ImcInputException($"{path}: state dict not found");
        if (NotAStateDict(path) is { } what) throw new ImcInputException($"{path}: {what}");
        Hashtable stored;
        try { stored = PyTorchUnpickler.UnpickleStateDict(path); }
        catch (Exception e) when (e is not ImcInputException)
        {
            throw new ImcInputException(
                $"{path}: not a PyTorch state dict (expected a file written by torch.save(model.state_dict(), " +
                $"path)): {e.Message.Split('\n')[0]}");
        }
        var model = spec.Build();
        try
        {
            var own = model.state_dict();
            var keys = stored.Keys.Cast<object>().Select(k => k.ToString()!).ToList();
            var missing = own.Keys.Where(k => !stored.ContainsKey(k)).ToList();
            // PyTorch's BatchNorm counts its batches; TorchSharp's may not keep that counter.
            var unexpected =
                keys.Where(k => !own.ContainsKey(k) && !k.EndsWith("num_batches_tracked", StringComparison.Ordinal))
                .ToList();
            var misShaped = own.Keys.Where(k => stored[k] is Tensor t && !t.Sizes().SequenceEqual(own[k].Sizes()))
                .Select(k => $"{k} [{string.Join(", ", ((Tensor)stored[k]!).Sizes())}] " +
                    $"where {spec.Name} has [{string.Join(", ", own[k].Sizes())}]").ToList();
            var notTensors = own.Keys.Where(k => stored.ContainsKey(k) && stored[k] is not Tensor).ToList();
            if (missing.Count + unexpected.Count + misShaped.Count + notTensors.Count > 0)
            {
                var parts = new List<string>();
                if (missing.Count > 0) parts.Add($"missing {string.Join(", ", missing)}");
                if (unexpected.Count > 0) parts.Add($"unexpected {string.Join(", ", unexpected)}");
                if (misShaped.Count > 0) parts.Add($"mis-shaped {string.Join("; ", misShaped)}");
                if (notTensors.Count > 0) parts.Add($"not tensors {string.Join(", ", notTensors)}");
                throw new ImcInputException(
                    $"{path}: does not match {spec.Name} for {spec.InChannels}x{spec.Height}x{spec.Width} inputs " +
                    $"and {spec.Classes} classes: {string.Join("; ", parts)}");
            }
            using (no_grad())
                foreach (var (k, t) in own)
                    t.copy_(((Tensor)stored[k]!).to_type(t.dtype));
            return model;
        }
        catch
        {
            model.Dispose();
            throw;
        }
        finally
        {
            foreach (var v in stored.Values) (v as IDisposable)?.Dispose();
        }
    }
}
