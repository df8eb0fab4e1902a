using System.Runtime.InteropServices;
using System.Text.Json;
using ImcSharp.Data;
using ImcSharp.Tests.BadInputs;
using SkiaSharp;

namespace ImcSharp.Tests.Data;

public class ImageFolderTests
{
    static void Png(string path, int width, int height, Func<int, int, SKColor> color)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        using var bmp = new SKBitmap(new SKImageInfo(width, height, SKColorType.Rgba8888, SKAlphaType.Unpremul));
        for (int y = 0; y < height; y++)
            for (int x = 0; x < width; x++) bmp.SetPixel(x, y, color(x, y));
        using var data = bmp.Encode(SKEncodedImageFormat.Png, 100);
        File.WriteAllBytes(path, data.ToArray());
    }

    [Fact]
    public void ClassFoldersBecomeLabelsAndImagesAreResizedToTheModelInput()
    {
        var dir = Synthetic.TempDir();
        Png(Path.Combine(dir, "dog", "a.png"), 10, 6, (_, _) => new SKColor(0, 0, 255));
        Png(Path.Combine(dir, "cat", "b.png"), 8, 8, (_, _) => new SKColor(255, 0, 0));
        Png(Path.Combine(dir, "cat", "c.png"), 3, 5, (_, _) => new SKColor(0, 200, 0));
        File.WriteAllText(Path.Combine(dir, "cat", "notes.txt"), "ignored");
        using var rgb = ImageFolderReader.Load(dir, Split.Test, 3, 4, 4);
        Assert.Equal(new long[] { 3, 3, 4, 4 }, rgb.Images.shape);
        Assert.Equal(new[] { "cat", "dog" }, rgb.ClassNames);
        Assert.Equal(new long[] { 0, 0, 1 }, rgb.Labels.data<long>().ToArray());       // ordinal class order, files sorted
        // Solid colours survive resampling: b.png is red, c.png green, a.png blue.
        Assert.Equal(new byte[] { 255, 0, 0 }, new[] { 0, 1, 2 }.Select(ch => rgb.Images[0, ch, 2, 2].item<byte>()).ToArray());
        Assert.Equal(new byte[] { 0, 200, 0 }, new[] { 0, 1, 2 }.Select(ch => rgb.Images[1, ch, 0, 3].item<byte>()).ToArray());
        Assert.Equal(new byte[] { 0, 0, 255 }, new[] { 0, 1, 2 }.Select(ch => rgb.Images[2, ch, 3, 0].item<byte>()).ToArray());
        // One channel: luminance Y = 0.299 R + 0.587 G + 0.114 B.
        using var gray = ImageFolderReader.Load(dir, Split.Test, 1, 2, 2);
        Assert.Equal(new byte[] { 76, 117, 29 }, new[] { 0, 1, 2 }.Select(i => gray.Images[i, 0, 0, 0].item<byte>()).ToArray());
    }

    [Fact]
    public void TrainAndTestSubfoldersAreTheSplits()
    {
        var dir = Synthetic.TempDir();
        Png(Path.Combine(dir, "train", "x", "1.png"), 4, 4, (_, _) => SKColors.White);
        Png(Path.Combine(dir, "train", "y", "1.png"), 4, 4, (_, _) => SKColors.Black);
        Png(Path.Combine(dir, "test", "x", "1.png"), 4, 4, (_, _) => SKColors.White);
        Png(Path.Combine(dir, "test", "y", "1.png"), 4, 4, (_, _) => SKColors.Black);
        Png(Path.Combine(dir, "test", "y", "2.png"), 4, 4, (_, _) => SKColors.Black);
        using var train = DatasetCatalog.Load("imagefolder", dir, Split.Train, (1, 4, 4));
        using var test = DatasetCatalog.Load("imagefolder", dir, Split.Test, (1, 4, 4));
        Assert.Equal((2L, 3L, 2), (train.Count, test.Count, test.Classes));
    }

    [Fact]
    public void BadFoldersAndFilesAreOneClearError()
    {
        var empty = Synthetic.TempDir();
        Assert.Contains("no class folders", Assert.Throws<ImcInputException>(() => ImageFolderReader.Load(empty, Split.Test, 3, 8, 8)).Message);
        // Each folder below has a good class "b" beside the bad class "a".
        string WithGoodClass()
        {
            var d = Synthetic.TempDir();
            Png(Path.Combine(d, "b", "ok.png"), 8, 8, (_, _) => new SKColor(9, 9, 9));
            Directory.CreateDirectory(Path.Combine(d, "a"));
            return d;
        }
        var bad = WithGoodClass();
        File.WriteAllText(Path.Combine(bad, "a", "broken.png"), "not a png");
        Assert.Contains("broken.png: not a readable PNG or JPEG image", Assert.Throws<ImcInputException>(() => ImageFolderReader.Load(bad, Split.Test, 3, 8, 8)).Message);
        var none = WithGoodClass();
        Assert.Contains("class 'a' has no PNG/JPEG images", Assert.Throws<ImcInputException>(() => ImageFolderReader.Load(none, Split.Test, 3, 8, 8)).Message);
        // A PNG cut short decodes partly (the rest blank) unless checked.
        var truncated = WithGoodClass();
        Png(Path.Combine(truncated, "a", "whole.png"), 32, 32, (x, y) => new SKColor((byte)(x * 7), (byte)(y * 5), (byte)(x ^ y)));
        var bytes = File.ReadAllBytes(Path.Combine(truncated, "a", "whole.png"));
        File.WriteAllBytes(Path.Combine(truncated, "a", "whole.png"), bytes[..(bytes.Length * 2 / 3)]);
        Assert.Contains("whole.png: truncated or damaged image", Assert.Throws<ImcInputException>(() => ImageFolderReader.Load(truncated, Split.Test, 3, 8, 8)).Message);
        var one = Synthetic.TempDir();
        Png(Path.Combine(one, "only", "x.png"), 8, 8, (_, _) => new SKColor(1, 2, 3));
        Assert.Contains("one class folder ('only')", Assert.Throws<ImcInputException>(() => ImageFolderReader.Load(one, Split.Test, 3, 8, 8)).Message);
    }

    [Fact]
    [Trait("Category", "Slow")]
    public void ACheckpointScoresTheSameOnItsTestSetSavedAsPngFolders()
    {
        // The synthetic test images written as 8-bit grayscale PNGs in folders "0".."9": lossless, so the same accuracy and loss.
        var mnist = Synthetic.MnistDir(train: 320, test: 100);
        var outDir = Synthetic.TempDir();
        Assert.Equal(0, BadInputCorpusTests.Run("train", "--model", "mlp", "--dataset", "mnist", "--data", mnist, "--epochs", "1", "--out", outDir).Code);
        using var test = DatasetCatalog.Load("mnist", mnist, Split.Test);
        var folder = Synthetic.TempDir();
        var px = test.Images.contiguous().data<byte>().ToArray();
        var labels = test.Labels.data<long>().ToArray();
        for (int i = 0; i < labels.Length; i++)
            Png(Path.Combine(folder, labels[i].ToString(), $"{i:D4}.png"), 28, 28, (x, y) => { var v = px[i * 784 + y * 28 + x]; return new SKColor(v, v, v); });
        for (int c = 0; c < 10; c++) Directory.CreateDirectory(Path.Combine(folder, c.ToString()));
        (double, double) Accuracy(params string[] data)
        {
            var json = Path.Combine(outDir, Guid.NewGuid().ToString("N") + ".json");
            var r = BadInputCorpusTests.Run(new[] { "eval", "--checkpoint", Path.Combine(outDir, "mlp.ckpt"), "--json", json }.Concat(data).ToArray());
            Assert.True(r.Code == 0, r.Err);
            using var doc = JsonDocument.Parse(File.ReadAllText(json));
            return (doc.RootElement.GetProperty("test_accuracy").GetDouble(), doc.RootElement.GetProperty("test_loss").GetDouble());
        }
        Assert.Equal(Accuracy("--dataset", "mnist", "--data", mnist), Accuracy("--dataset", "imagefolder", "--data", folder));
    }
}
