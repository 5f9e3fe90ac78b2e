namespace ContextNets.Data;

public enum Split
{
    Train,
    Test,
}

/// <summary>
/// Fashion-MNIST (Xiao et al. 2017): 60,000 training and 10,000 test gray
/// images of 28x28, 10 classes. Debian's package dataset-fashion-mnist puts
/// the IDX files under /usr/share/datasets/fashion-mnist.
/// </summary>
public static class FashionMnist
{
    public const string DefaultRoot = "/usr/share/datasets/fashion-mnist";
    public const string AptPackage = "dataset-fashion-mnist";

    public static IReadOnlyList<string> ClassNames { get; } =
        ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"];

    /// <summary>The mean and standard deviation of the training pixels (in [0, 1]), for normalization.</summary>
    public const float Mean = 0.2860f, Std = 0.3530f;

    /// <summary>The side of every image.</summary>
    public const int Side = 28;

    /// <summary>Loads one split from <paramref name="root"/> (default <see cref="DefaultRoot"/>), with the files plain or gzipped.</summary>
    public static IdxDataset Load(Split split, string? root = null)
    {
        root ??= DefaultRoot;
        string prefix = split == Split.Train ? "train" : "t10k";
        string images = Find(root, $"{prefix}-images-idx3-ubyte"), labels = Find(root, $"{prefix}-labels-idx1-ubyte");
        return IdxDataset.Load(images, labels, ClassNames);
    }

    private static string Find(string root, string name)
    {
        foreach (var candidate in new[] { name, name + ".gz" })
        {
            var path = Path.Combine(root, candidate);
            if (File.Exists(path)) return path;
        }
        string where = Directory.Exists(root) ? $"{root} has no {name} (nor {name}.gz)" : $"{root} does not exist";
        throw new DatasetNotFoundException(
            $"Fashion-MNIST was not found: {where}. Debian's package {AptPackage} installs it in {DefaultRoot}: " +
            $"run `sudo apt-get install {AptPackage}`" + (root == DefaultRoot ? "." : ", or point to a folder that holds the four IDX files."),
            AptPackage);
    }
}
