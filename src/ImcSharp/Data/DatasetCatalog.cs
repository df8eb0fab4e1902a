namespace ImcSharp.Data;

public enum Split { Train, Test }

/// <summary>
/// Named datasets and where their files are. Fashion-MNIST defaults to the Debian package
/// dataset-fashion-mnist; MNIST (same IDX format), CIFAR-10 and an image folder (class-named
/// subfolders of PNG/JPEG images, <see cref="ImageFolderReader"/>) need a directory.
/// </summary>
public static class DatasetCatalog
{
    public const string FashionMnistDir = "/usr/share/datasets/fashion-mnist";
    public const string FashionMnistInstall = "sudo apt-get install dataset-fashion-mnist";
    public static readonly string[] Names = { "fashion-mnist", "mnist", "cifar10", "imagefolder" };

    /// <summary>The input an image folder is resized to when the model does not say: 3 x 32 x 32.</summary>
    public static readonly (int Channels, int Height, int Width) DefaultImageShape = (3, 32, 32);

    public static string Canonical(string name) => name.ToLowerInvariant() switch
    {
        "fashion-mnist" or "fashionmnist" or "fmnist" => "fashion-mnist",
        "mnist" => "mnist",
        "cifar10" or "cifar-10" => "cifar10",
        "imagefolder" or "image-folder" or "folder" => "imagefolder",
        _ => throw new ImcInputException("dataset", name, $"expected one of {string.Join(", ", Names)}"),
    };

    /// <param name="shape">An image folder's target (C, H, W): the model's input (default
    /// <see cref="DefaultImageShape"/>); other datasets have their own.</param>
    /// <param name="limit">The first <paramref name="limit"/> images only (0: all); IDX files are then read only that
    /// far.</param>
    public static ImageSet Load(string dataset, string? dataDir, Split split,
        (int Channels, int Height, int Width)? shape = null, long limit = 0)
    {
        var name = Canonical(dataset);
        if (name is not ("cifar10" or "imagefolder")) return LoadIdx(name, ResolveDir(name, dataDir), split, limit);
        using var all = name == "cifar10" ? LoadCifar(ResolveDir(name, dataDir), split)
            : ImageFolderReader.Load(ResolveDir(name, dataDir), split, (shape ?? DefaultImageShape).Channels,
                (shape ?? DefaultImageShape).Height, (shape ?? DefaultImageShape).Width);
        return all.Take(limit > 0 ? limit : all.Count);
    }

    static string ResolveDir(string name, string? dataDir)
    {
        if (dataDir is not null)
        {
            if (!Directory.Exists(dataDir)) throw new ImcInputException("data", dataDir,
                $"directory not found (expected the {name} files there)");
            return dataDir;
        }
        if (name == "fashion-mnist")
        {
            if (!Directory.Exists(FashionMnistDir))
                throw new ImcInputException(
                    $"Fashion-MNIST not found at {FashionMnistDir}: install it with `{FashionMnistInstall}`, or give " +
                    "the directory holding its files");
            return FashionMnistDir;
        }
        var holds = name switch
        {
            "cifar10" => "CIFAR-10 binary batches",
            "imagefolder" => "class folders of PNG/JPEG images",
            _ => "IDX files",
        };
        throw new ImcInputException("data", null, $"the directory holding {name}'s {holds} is required");
    }

    static ImageSet LoadIdx(string name, string dir, Split split, long limit)
    {
        var prefix = split == Split.Train ? "train" : "t10k";
        var imagesPath = FindIdx(dir, $"{prefix}-images-idx3-ubyte", name);
        var labelsPath = FindIdx(dir, $"{prefix}-labels-idx1-ubyte", name);
        var images = IdxReader.Read(imagesPath, limit);
        var labels = IdxReader.Read(labelsPath, limit);
        if (images.Shape.Length != 3)
            throw new ImcInputException(
                $"{imagesPath}: expected 3 dimensions [N, rows, cols], found {images.Shape.Length}");
        if (labels.Shape.Length != 1)
            throw new ImcInputException($"{labelsPath}: expected 1 dimension [N], found {labels.Shape.Length}");
        if (images.Declared != labels.Declared)
            throw new ImcInputException(
                $"{labelsPath}: {labels.Declared} labels but {imagesPath} has {images.Declared} images: expected " +
                "equal counts");
        int bad = Array.FindIndex(labels.Data, b => b > 9);
        if (bad >= 0) throw new ImcInputException(
            $"{labelsPath}: label {labels.Data[bad]} at index {bad}: expected 0..9");
        var n = images.Shape[0];
        return new ImageSet(name,
            TorchSharp.torch.tensor(images.Data).view(n, 1, images.Shape[1], images.Shape[2]),
            TorchSharp.torch.tensor(labels.Data.Select(b => (long)b).ToArray()), 10);
    }

    static string FindIdx(string dir, string stem, string name)
    {
        foreach (var candidate in new[] { stem + ".gz", stem, stem.Replace("-idx", ".idx") + ".gz",
            stem.Replace("-idx", ".idx") })
        {
            var p = Path.Combine(dir, candidate);
            if (File.Exists(p)) return p;
        }
        var hint = name == "fashion-mnist" && dir == FashionMnistDir ? $"; reinstall with `{FashionMnistInstall}`" : "";
        throw new ImcInputException(
            $"{Path.Combine(dir, stem)}(.gz): file not found (expected the {name} IDX file){hint}");
    }

    static ImageSet LoadCifar(string dir, Split split)
    {
        var nested = Path.Combine(dir, "cifar-10-batches-bin");
        if (!File.Exists(Path.Combine(dir, Cifar10Reader.TestFile)) && Directory.Exists(nested)) dir = nested;
        var files = split == Split.Train ? Cifar10Reader.TrainFiles : new[] { Cifar10Reader.TestFile };
        return Cifar10Reader.ReadFiles("cifar10", files.Select(f => Path.Combine(dir, f)).ToList());
    }
}
