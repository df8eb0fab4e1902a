using TorchSharp;
using static TorchSharp.torch;

namespace ImcSharp.Data;

/// <summary>
/// An image classification split held in memory as raw bytes (uint8 [N, C, H, W]) and labels
/// (int64 [N]). Bytes are turned into normalized floats per batch, which keeps Fashion-MNIST's
/// 60k training images at 47 MB instead of 188 MB.
/// </summary>
public sealed class ImageSet : IDisposable
{
    public string Name { get; }
    public Tensor Images { get; }
    public Tensor Labels { get; }
    public int Classes { get; }
    /// <summary>Class names, where the dataset has them (an image folder's subfolders).</summary>
    public string[]? ClassNames { get; init; }
    public long Count => Images.size(0);
    public int Channels => (int)Images.size(1);
    public int Height => (int)Images.size(2);
    public int Width => (int)Images.size(3);

    public ImageSet(string name, Tensor images, Tensor labels, int classes)
    {
        if (images.dim() != 4 || images.dtype != ScalarType.Byte)
            throw new ArgumentException("images must be uint8 [N, C, H, W]", nameof(images));
        if (labels.dim() != 1 || labels.size(0) != images.size(0))
            throw new ArgumentException("labels must be int64 [N] with N matching the images", nameof(labels));
        Name = name;
        Images = images.DetachFromDisposeScope();
        Labels = labels.to_type(ScalarType.Int64).DetachFromDisposeScope();
        Classes = classes;
    }

    /// <summary>The first <paramref name="n"/> samples (a view; shares storage).</summary>
    public ImageSet Take(long n)
    {
        n = Math.Min(n, Count);
        return new ImageSet(Name, Images.narrow(0, 0, n), Labels.narrow(0, 0, n), Classes);
    }

    string? _fingerprint;

    /// <summary>
    /// SHA-256 (16 hex digits) of the pixels and labels: results computed on this set are keyed by its content, not its
    /// path.
    /// </summary>
    public string Fingerprint()
    {
        if (_fingerprint is not null) return _fingerprint;
        using var h =
            System.Security.Cryptography.IncrementalHash.CreateHash(
            System.Security.Cryptography.HashAlgorithmName.SHA256);
        using (var px = Images.contiguous()) h.AppendData(px.bytes);
        using (var lb = Labels.contiguous()) h.AppendData(lb.bytes);
        return _fingerprint = Convert.ToHexString(h.GetHashAndReset())[..16].ToLowerInvariant();
    }

    /// <summary>Per-channel mean and standard deviation of the pixel values scaled to 0..1.</summary>
    public Normalization ComputeNormalization()
    {
        using var scope = NewDisposeScope();
        var x = Images.to_type(ScalarType.Float32).div_(255f);
        var mean = x.mean(new long[] { 0, 2, 3 }).data<float>().ToArray();
        var std = x.std(new long[] { 0, 2, 3 }).data<float>().ToArray();
        // Dividing by a zero spread gives infinities and then a NaN loss: nothing can be learned from constant pixels.
        for (int c = 0; c < std.Length; c++)
            if (!(std[c] > 1e-6f)) throw new ImcInputException(
                $"{Name}: the images are constant (pixel spread {std[c]} in channel {c}): nothing to learn from");
        return new Normalization(mean, std);
    }

    public void Dispose()
    {
        Images.Dispose();
        Labels.Dispose();
    }
}

/// <summary>x_norm = (x/255 - mean_c) / std_c per channel c.</summary>
public sealed record Normalization(float[] Mean, float[] Std)
{
    public Tensor Apply(Tensor bytes)
    {
        var c = Mean.Length;
        var mean = tensor(Mean).view(1, c, 1, 1);
        var std = tensor(Std).view(1, c, 1, 1);
        return bytes.to_type(ScalarType.Float32).div_(255f).sub_(mean).div_(std);
    }
}
