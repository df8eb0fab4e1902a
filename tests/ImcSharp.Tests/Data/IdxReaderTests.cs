using ImcSharp.Data;

namespace ImcSharp.Tests.Data;

public class IdxReaderTests
{
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void ReadsRawAndGzipWithShapeAndBytes(bool gzip)
    {
        var dir = Synthetic.TempDir();
        var data = Enumerable.Range(0, 2 * 3 * 4).Select(i => (byte)(i * 7)).ToArray();
        var path = Path.Combine(dir, "x.idx");
        Synthetic.WriteFile(path, Synthetic.Idx(new[] { 2, 3, 4 }, data), gzip);
        var arr = IdxReader.Read(path);
        Assert.Equal(new[] { 2, 3, 4 }, arr.Shape);
        Assert.Equal(data, arr.Data);
    }

    [Fact]
    public void TruncatedDataNamesFileAndExpectedSize()
    {
        var bytes = Synthetic.Idx(new[] { 10, 28, 28 }, new byte[10 * 28 * 28]);
        var e = Assert.Throws<ImcInputException>(() => IdxReader.Parse("imgs", bytes[..^100]));
        Assert.Contains("imgs", e.Message);
        Assert.Contains("truncated", e.Message);
        Assert.Contains("7840", e.Message);
    }

    [Fact]
    public void TruncatedGzipIsOneClearError()
    {
        var dir = Synthetic.TempDir();
        var path = Path.Combine(dir, "t.gz");
        Synthetic.WriteFile(path, Synthetic.Idx(new[] { 50, 28, 28 }, Synthetic.Blocks(50, 28, 3).Pixels), gzip: true);
        var all = File.ReadAllBytes(path);
        File.WriteAllBytes(path, all[..(all.Length / 2)]);
        var e = Assert.Throws<ImcInputException>(() => IdxReader.Read(path));
        Assert.Contains(path, e.Message);
    }

    [Fact]
    public void WrongMagicIsRejected()
    {
        var bytes = Synthetic.Idx(new[] { 4 }, new byte[4]);
        bytes[0] = 0x12;
        var e = Assert.Throws<ImcInputException>(() => IdxReader.Parse("lbl", bytes));
        Assert.Contains("magic", e.Message);
    }

    [Fact]
    public void MissingFileIsNamed()
    {
        var e = Assert.Throws<ImcInputException>(() => IdxReader.Read("/nonexistent/train-images-idx3-ubyte.gz"));
        Assert.Contains("/nonexistent/train-images-idx3-ubyte.gz", e.Message);
    }

    [Fact]
    public void CatalogLoadsMnistFormatDirectoryAndChecksCounts()
    {
        var dir = Synthetic.MnistDir(train: 30, test: 20);
        using var train = DatasetCatalog.Load("mnist", dir, Split.Train);
        Assert.Equal(new long[] { 30, 1, 28, 28 }, train.Images.shape);
        Assert.Equal(30, train.Labels.shape[0]);

        // labels file with a different count than the images
        Synthetic.WriteFile(Path.Combine(dir, "t10k-labels-idx1-ubyte.gz"), Synthetic.Idx(new[] { 19 }, new byte[19]), gzip: true);
        var e = Assert.Throws<ImcInputException>(() => DatasetCatalog.Load("mnist", dir, Split.Test));
        Assert.Contains("19 labels", e.Message);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void ALimitReadsTheFirstItemsOnlyAndKeepsTheDeclaredCount(bool gzip)
    {
        var dir = Synthetic.TempDir();
        var data = Enumerable.Range(0, 5 * 3 * 4).Select(i => (byte)(i * 3)).ToArray();
        var path = Path.Combine(dir, "x.idx");
        Synthetic.WriteFile(path, Synthetic.Idx(new[] { 5, 3, 4 }, data), gzip);
        var first = IdxReader.Read(path, limit: 2);
        Assert.Equal(new[] { 2, 3, 4 }, first.Shape);
        Assert.Equal(5, first.Declared);
        Assert.Equal(data[..24], first.Data);
        Assert.Equal(data, IdxReader.Read(path, limit: 9).Data);   // a limit past the end reads all

        // Reading all still refuses trailing bytes; a limit stops before them.
        var bytes = Synthetic.Idx(new[] { 5, 3, 4 }, data).Concat(new byte[7]).ToArray();
        Assert.Contains("7 unexpected trailing bytes", Assert.Throws<ImcInputException>(() => IdxReader.Parse("x", bytes)).Message);
        Assert.Equal(data[..12], IdxReader.Parse("x", bytes, limit: 1).Data);
    }

    [Fact]
    public void CatalogLoadsALimitedSetAndStillChecksCounts()
    {
        var dir = Synthetic.MnistDir(train: 30, test: 20);
        using var all = DatasetCatalog.Load("mnist", dir, Split.Train);
        using var first = DatasetCatalog.Load("mnist", dir, Split.Train, limit: 7);
        Assert.Equal(new long[] { 7, 1, 28, 28 }, first.Images.shape);
        Assert.True(first.Images.equal(all.Images.narrow(0, 0, 7)).all().item<bool>());
        Assert.True(first.Labels.equal(all.Labels.narrow(0, 0, 7)).all().item<bool>());

        Synthetic.WriteFile(Path.Combine(dir, "t10k-labels-idx1-ubyte.gz"), Synthetic.Idx(new[] { 19 }, new byte[19]), gzip: true);
        Assert.Contains("19 labels", Assert.Throws<ImcInputException>(() => DatasetCatalog.Load("mnist", dir, Split.Test, limit: 5)).Message);
    }

    [Fact]
    public void MissingDirectoryAndUnknownDatasetAreClearErrors()
    {
        Assert.Contains("/no/such/dir", Assert.Throws<ImcInputException>(() => DatasetCatalog.Load("fashion-mnist", "/no/such/dir", Split.Test)).Message);
        Assert.Contains("expected one of", Assert.Throws<ImcInputException>(() => DatasetCatalog.Load("imagenet", null, Split.Test)).Message);
        Assert.Equal("data", Assert.Throws<ImcInputException>(() => DatasetCatalog.Load("cifar10", null, Split.Test)).Setting);
    }
}
