using SkiaSharp;
using TorchSharp;

namespace ImcSharp.Data;

/// <summary>
/// A folder of class-named subfolders of PNG/JPEG images (the ImageFolder convention): classes
/// are the subfolder names in ordinal order, labelled 0, 1, ...; a split is DIR/train or DIR/test
/// (DIR/val for test) when they exist, else DIR itself. Every image is decoded, converted to RGB
/// (3 channels) or luminance Y = 0.299 R + 0.587 G + 0.114 B (1 channel), and resized to H x W
/// (bilinear with mipmaps), so any network's input size can be served.
/// </summary>
public static class ImageFolderReader
{
    static readonly string[] Extensions = { ".png", ".jpg", ".jpeg" };

    /// <summary>The folder a split reads: DIR/train, DIR/test (or DIR/val), else DIR.</summary>
    public static string SplitDir(string dir, Split split)
    {
        foreach (var name in split == Split.Train ? new[] { "train" } : new[] { "test", "val" })
            if (Directory.Exists(Path.Combine(dir, name))) return Path.Combine(dir, name);
        return dir;
    }

    /// <summary>
    /// The whole image, or one error naming the file: Skia decodes a truncated PNG or JPEG as far
    /// as it goes and fills the rest, which would train on a half-blank image.
    /// </summary>
    static SKBitmap Decode(string path)
    {
        using var codec = SKCodec.Create(path, out var opened)
            ?? throw new ImcInputException($"{path}: not a readable PNG or JPEG image ({opened})");
        var bitmap =
            new SKBitmap(codec.Info.WithAlphaType(codec.Info.AlphaType == SKAlphaType.Opaque ? SKAlphaType.Opaque
            : SKAlphaType.Unpremul));
        var result = codec.GetPixels(bitmap.Info, bitmap.GetPixels());
        if (result != SKCodecResult.Success)
        {
            bitmap.Dispose();
            throw new ImcInputException($"{path}: truncated or damaged image ({result}): expected a whole PNG or JPEG");
        }
        return bitmap;
    }

    public static ImageSet Load(string dir, Split split, int channels, int height, int width)
    {
        if (channels is not (1 or 3)) throw new ImcInputException("image_channels", channels,
            "expected 1 (grayscale) or 3 (RGB)");
        if (height < 1 || width < 1) throw new ImcInputException("image_size", $"{height}x{width}",
            "expected a positive height and width");
        var root = SplitDir(dir, split);
        var classes =
            Directory.GetDirectories(root).Select(Path.GetFileName).Where(n => n is not ("train" or "test" or "val"))
            .OrderBy(n => n, StringComparer.Ordinal).ToList();
        if (classes.Count == 0)
            throw new ImcInputException(
                $"{root}: no class folders: expected one subfolder of PNG/JPEG images per class (ImageFolder layout)");
        if (classes.Count == 1)
            throw new ImcInputException(
                $"{root}: one class folder ('{classes[0]}'): a classifier needs at least two (one subfolder of " +
                "images per class)");
        var files = new List<(string Path, int Label)>();
        for (int c = 0; c < classes.Count; c++)
        {
            var inClass = Directory.GetFiles(Path.Combine(root, classes[c]!))
                .Where(f => Extensions.Contains(Path.GetExtension(f).ToLowerInvariant())).OrderBy(f => f,
                    StringComparer.Ordinal).ToList();
            if (inClass.Count == 0) throw new ImcInputException(
                $"{Path.Combine(root, classes[c]!)}: class '{classes[c]}' has no PNG/JPEG images");
            files.AddRange(inClass.Select(f => (f, c)));
        }
        long plane = (long)height * width;
        var pixels = new byte[files.Count * channels * plane];
        var info = new SKImageInfo(width, height, SKColorType.Rgba8888, SKAlphaType.Unpremul);
        for (int i = 0; i < files.Count; i++)
        {
            using var decoded = Decode(files[i].Path);
            using var converted =
                decoded.ColorType == SKColorType.Rgba8888 && decoded.AlphaType == SKAlphaType.Unpremul ? null
                : decoded.Copy(SKColorType.Rgba8888);
            var source = converted ?? decoded;
            using var resized =
                source.Width == width && source.Height == height ? null
                : source.Resize(info, new SKSamplingOptions(SKFilterMode.Linear, SKMipmapMode.Linear));
            var img = resized ?? source;
            if (img is null) throw new ImcInputException($"{files[i].Path}: cannot be resized to {height}x{width}");
            var rgba = img.Bytes;   // row-major RGBA
            long at = (long)i * channels * plane;
            for (long p = 0; p < plane; p++)
            {
                byte r = rgba[4 * p], g = rgba[4 * p + 1], b = rgba[4 * p + 2];
                if (channels == 1) pixels[at + p] =
                    (byte)Math.Clamp(Math.Round(0.299 * r + 0.587 * g + 0.114 * b), 0, 255);
                else
                {
                    pixels[at + p] = r;
                    pixels[at + plane + p] = g;
                    pixels[at + 2 * plane + p] = b;
                }
            }
        }
        return new ImageSet($"imagefolder {root}", torch.tensor(pixels).view(files.Count, channels, height, width),
            torch.tensor(files.Select(f => (long)f.Label).ToArray()),
                classes.Count) { ClassNames = classes.Select(c => c!).ToArray() };
    }
}
