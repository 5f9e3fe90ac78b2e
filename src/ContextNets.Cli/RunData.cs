using ContextNets.Data;
using ContextNets.Data.Augment;
using ContextNets.Data.Transforms;

namespace ContextNets.Cli;

/// <summary>
/// The datasets and pipelines of a run: Fashion-MNIST (Debian's package, or a folder of its IDX files),
/// or a folder of images with one subfolder per class. An image folder with train/ and val/ (or test/)
/// subfolders uses them; otherwise a tenth of each class is held out for testing.
/// </summary>
internal sealed class RunData
{
    public const string FashionMnistName = "fashion-mnist";
    /// <summary>Where to find Fashion-MNIST's IDX files instead of Debian's folder.</summary>
    public const string FashionMnistVariable = "CTXNET_FASHION_MNIST";

    public static readonly string[] AugNames = ["none", "basic", "autoaugment", "randaugment"];

    private RunData(IDataset train, IDataset test, int channels, int size, Normalize normalize, bool fixedSize, string description)
    {
        Train = train;
        Test = test;
        Channels = channels;
        ImageSize = size;
        Normalize = normalize;
        FixedSize = fixedSize;
        Description = description;
    }

    public IDataset Train { get; }
    public IDataset Test { get; }
    public int Channels { get; }
    public int ImageSize { get; }
    public Normalize Normalize { get; }

    /// <summary>True for the IDX datasets, whose images all have the model's size already.</summary>
    public bool FixedSize { get; }

    public string Description { get; }

    /// <summary>Loads and checks the data; every problem is an exception with a message for the user.</summary>
    public static RunData Open(string data, int? imageSize, string model)
    {
        if (data == FashionMnistName) return Idx(Environment.GetEnvironmentVariable(FashionMnistVariable) is { Length: > 0 } r ? r : null, imageSize);
        string root = Path.GetFullPath(data);
        if (!Directory.Exists(root))
            throw new CliException($"The data folder {root} does not exist. Use --data {FashionMnistName}, or a folder with one subfolder of images per class.");
        if (File.Exists(Path.Combine(root, "train-images-idx3-ubyte")) || File.Exists(Path.Combine(root, "train-images-idx3-ubyte.gz"))) return Idx(root, imageSize);
        int size = imageSize ?? ModelCatalog.InputSize(model);
        if (size < 8 || size > 1024) throw new CliException($"--image-size must be between 8 and 1024, not {size}.");
        string trainDir = Path.Combine(root, "train");
        string? testDir = new[] { "val", "test" }.Select(d => Path.Combine(root, d)).FirstOrDefault(Directory.Exists);
        IDataset train, test;
        string description;
        if (Directory.Exists(trainDir) && testDir is not null)
        {
            var trainFolder = new ImageFolder(trainDir);
            var testFolder = new ImageFolder(testDir);
            if (!trainFolder.Classes.SequenceEqual(testFolder.Classes))
                throw new CliException($"{trainDir} and {testDir} have different class folders: [{string.Join(", ", trainFolder.Classes)}] and [{string.Join(", ", testFolder.Classes)}].");
            (train, test) = (trainFolder, testFolder);
            description = $"{trainFolder.Summary}; test: {testFolder.Count} images under {testDir}";
        }
        else
        {
            var folder = new ImageFolder(root);
            var (tr, te) = Subset.Split(folder);
            if (te.Count == 0)
                throw new CliException($"{root} has too few images to hold a test set out (every class has one image): add images, or give {root}/train and {root}/val.");
            (train, test) = (tr, te);
            description = $"{folder.Summary}; {te.Count} of them held out for testing";
        }
        return new RunData(train, test, 3, size, Normalize.ImageNet, fixedSize: false, description);
    }

    private static RunData Idx(string? root, int? imageSize)
    {
        var train = FashionMnist.Load(Split.Train, root);
        var test = FashionMnist.Load(Split.Test, root);
        if (imageSize is { } s && s != 28) throw new CliException($"Fashion-MNIST images are 28x28; --image-size {s} applies to image folders only.");
        return new RunData(train, test, 1, 28, Pipelines.FashionMnistNormalize, fixedSize: true,
            $"Fashion-MNIST: {train.Count} training and {test.Count} test images from {root ?? FashionMnist.DefaultRoot}");
    }

    /// <summary>The same data with only the first <paramref name="count"/> training images (--subset).</summary>
    public RunData WithSubset(int count)
    {
        if (count < 1) throw new CliException($"--subset must be at least 1 image, not {count}.");
        if (count > Train.Count) throw new CliException($"--subset {count} is more than the {Train.Count} training images.");
        return new RunData(new Subset(Train, [.. Enumerable.Range(0, count)]), Test, Channels, ImageSize, Normalize, FixedSize,
            $"{Description}; training on the first {count} images (--subset)");
    }

    /// <summary>The training augmentation by name.</summary>
    public IImageTransform? TrainTransform(string aug)
    {
        var policy = aug switch
        {
            "none" => (AutoPolicy?)null,
            "basic" => AutoPolicy.None,
            "autoaugment" => AutoPolicy.AutoAugment,
            "randaugment" => AutoPolicy.RandAugment,
            _ => throw new CliException($"Unknown augmentation '{aug}': use one of {string.Join(", ", AugNames)}."),
        };
        if (policy is null) return EvalTransform();
        var steps = new List<IImageTransform>();
        // Fashion-MNIST keeps its 28x28 frame: a small shift (padding 2) and a flip. Photos get the ImageNet crop.
        if (FixedSize) steps.AddRange([new RandomCrop(ImageSize, padding: 2), new RandomHorizontalFlip()]);
        else steps.AddRange([new RandomResizedCrop(ImageSize), new RandomHorizontalFlip()]);
        if (policy == AutoPolicy.AutoAugment) steps.Add(new AutoAugment());
        if (policy == AutoPolicy.RandAugment) steps.Add(new RandAugment());
        return new Compose([.. steps]);
    }

    /// <summary>Evaluation and prediction: the shorter side to size / 0.875, then the center crop (nothing for IDX data).</summary>
    public IImageTransform? EvalTransform() => FixedSize ? null : EvalTransform(ImageSize);

    public static IImageTransform EvalTransform(int size) =>
        new Compose(Resize.ToShorterSide((int)Math.Floor(size / 0.875)), new CenterCrop(size));

    /// <summary>The training batches; in a distributed run, this rank's <paramref name="shard"/> of each of them.</summary>
    public DataLoader TrainLoader(RunConfig c, int shard = 0, int shards = 1) => new(Train, TrainTransform(c.Aug), Normalize, new LoaderOptions
    {
        BatchSize = c.BatchSize,
        ShardIndex = shard,
        ShardCount = shards,
        Seed = c.Seed,
        DropLast = true,
        Mix = c.Mixup > 0 || c.Cutmix > 0 ? new Mixup(Train.Classes.Count, c.Mixup, c.Cutmix, labelSmoothing: c.Trainer.LabelSmoothing) : null,
    });

    public DataLoader TestLoader(int batchSize = 256) => new(Test, EvalTransform(), Normalize, new LoaderOptions { BatchSize = batchSize, Shuffle = false });
}
