using ImcSharp.Data;
using static TorchSharp.torch;

namespace ImcSharp.Tests.Data;

public class Cifar10ReaderTests
{
    static string CifarDir(int perBatch)
    {
        var dir = Synthetic.TempDir();
        for (int i = 1; i <= 5; i++) File.WriteAllBytes(Path.Combine(dir, $"data_batch_{i}.bin"), Synthetic.CifarRecords(perBatch, i));
        File.WriteAllBytes(Path.Combine(dir, "test_batch.bin"), Synthetic.CifarRecords(perBatch, 99));
        return dir;
    }

    [Fact]
    public void ReadsRecordsAsChannelPlanes()
    {
        var dir = CifarDir(4);
        using var train = DatasetCatalog.Load("cifar10", dir, Split.Train);
        Assert.Equal(new long[] { 20, 3, 32, 32 }, train.Images.shape);
        var raw = File.ReadAllBytes(Path.Combine(dir, "data_batch_2.bin"));
        // record 1 of batch 2 is sample 5; its green plane pixel (row 3, col 7) sits at 1 + 1024 + 3*32 + 7
        Assert.Equal(raw[3073 + 1 + 1024 + 3 * 32 + 7], train.Images[5, 1, 3, 7].item<byte>());
        Assert.Equal((long)raw[3073], train.Labels[5].item<long>());
    }

    [Fact]
    public void TruncatedBatchAndBadLabelAreClearErrors()
    {
        var dir = CifarDir(2);
        var path = Path.Combine(dir, "test_batch.bin");
        File.WriteAllBytes(path, File.ReadAllBytes(path)[..5000]);
        var e = Assert.Throws<ImcInputException>(() => DatasetCatalog.Load("cifar10", dir, Split.Test));
        Assert.Contains("test_batch.bin", e.Message);
        Assert.Contains("3073", e.Message);

        var bad = Synthetic.CifarRecords(1, 1);
        bad[0] = 42;
        File.WriteAllBytes(path, bad);
        Assert.Contains("label 42", Assert.Throws<ImcInputException>(() => DatasetCatalog.Load("cifar10", dir, Split.Test)).Message);
    }

    [Fact]
    public void AugmentationKeepsShapeAndIsSeeded()
    {
        var dir = CifarDir(8);
        using var set = DatasetCatalog.Load("cifar10", dir, Split.Train);
        var norm = set.ComputeNormalization();
        var loader = new BatchLoader(set, norm, 16);
        var a = loader.Epoch(5, 0, shuffle: true, new Augmentation()).First().X;
        var b = loader.Epoch(5, 0, shuffle: true, new Augmentation()).First().X;
        var plain = loader.Epoch(5, 0, shuffle: true).First().X;
        Assert.Equal(new long[] { 16, 3, 32, 32 }, a.shape);
        Assert.True(a.eq(b).all().item<bool>());
        Assert.False(a.eq(plain).all().item<bool>());
    }
}
