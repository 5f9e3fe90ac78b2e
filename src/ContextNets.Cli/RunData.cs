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

    private RunData(IDataset train, IDataset test, int channels, int size, Normalize normalize, bool fixedSize, string description, IImageTransform? fit = null)
    {
        _fit = fit;
        Train = train;
        Test = test;
        Channels = channels;
        ImageSize = size;
        Normalize = normalize;
        FixedSize = fixedSize;
        Description = description;
    }

    /// <summary>What makes an IDX image the model's input when it is not 28x28 gray (resize, gray to RGB), else null.</summary>
    private readonly IImageTransform? _fit;

    public IDataset Train { get; }
    public IDataset Test { get; }
    public int Channels { get; }
    public int ImageSize { get; }
    public Normalize Normalize { get; }

    /// <summary>True for the IDX datasets, whose images all have the model's size already.</summary>
    public bool FixedSize { get; }

    public string Description { get; }

    /// <summary>
    /// Loads and checks the data; every problem is an exception with a message for the user. <paramref name="channels"/>
    /// is the model's input when it is fixed (a pretrained network's 3): gray IDX images are then repeated to it. An
    /// image folder's default size is the zoo <paramref name="model"/>'s; with none (an ONNX graph), --image-size is needed.
    /// </summary>
    public static RunData Open(string data, int? imageSize, string? model, int? channels = null)
    {
        if (data == FashionMnistName) return Idx(Environment.GetEnvironmentVariable(FashionMnistVariable) is { Length: > 0 } r ? r : null, imageSize, channels);
        string root = Path.GetFullPath(data);
        if (!Directory.Exists(root))
            throw new CliException($"The data folder {root} does not exist. Use --data {FashionMnistName}, or a folder with one subfolder of images per class.");
        if (File.Exists(Path.Combine(root, "train-images-idx3-ubyte")) || File.Exists(Path.Combine(root, "train-images-idx3-ubyte.gz"))) return Idx(root, imageSize, channels);
        if (channels is 1) throw new CliException($"The images of {root} are read as RGB; the model takes 1 channel.");
        int size = imageSize ?? (model is null ? throw new CliException("Give --image-size: the ONNX graph does not declare the size of its input.") : ModelCatalog.InputSize(model));
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

    /// <summary>
    /// Fashion-MNIST, 28x28 gray; with another --image-size resized (bilinear) to it, and with 3 channels the gray
    /// repeated, normalized with its own statistics in every channel unless the caller sets others.
    /// </summary>
    private static RunData Idx(string? root, int? imageSize, int? channels)
    {
        int size = imageSize ?? FashionMnist.Side, c = channels ?? 1;
        if (size < 8 || size > 1024) throw new CliException($"--image-size must be between 8 and 1024, not {size}.");
        if (c is not (1 or 3)) throw new CliException($"Fashion-MNIST images can be given to a model of 1 or 3 input channels, not {c}.");
        var train = FashionMnist.Load(Split.Train, root);
        var test = FashionMnist.Load(Split.Test, root);
        var steps = new List<IImageTransform>();
        if (size != FashionMnist.Side) steps.Add(new Resize(size, size));
        if (c != 1) steps.Add(new ToChannels(c));
        var stats = Pipelines.FashionMnistNormalize;
        var normalize = new Normalize([.. Enumerable.Repeat(stats.Mean[0], c)], [.. Enumerable.Repeat(stats.Std[0], c)]);
        string fitted = steps.Count == 0 ? "" : $", given as {c}x{size}x{size}";
        return new RunData(train, test, c, size, normalize, fixedSize: true,
            $"Fashion-MNIST: {train.Count} training and {test.Count} test images from {root ?? FashionMnist.DefaultRoot}{fitted}",
            steps.Count == 0 ? null : new Compose([.. steps]));
    }

    /// <summary>A run's data as it was trained on: its size, channels and normalization.</summary>
    public static RunData Of(RunConfig c) =>
        Open(c.Data, c.ImageSize, c.Model, c.InChannels).WithNormalize(new Normalize(c.Mean, c.Std));

    /// <summary>The same data normalized with other statistics (a pretrained network's, or a run's own).</summary>
    public RunData WithNormalize(Normalize normalize)
    {
        if (normalize.Channels != Channels) throw new CliException($"The normalization has {normalize.Channels} channels, the data {Channels}.");
        return new RunData(Train, Test, Channels, ImageSize, normalize, FixedSize, Description, _fit);
    }

    /// <summary>The same data with only the first <paramref name="count"/> training images (--subset).</summary>
    public RunData WithSubset(int count)
    {
        if (count < 1) throw new CliException($"--subset must be at least 1 image, not {count}.");
        if (count > Train.Count) throw new CliException($"--subset {count} is more than the {Train.Count} training images.");
        return new RunData(new Subset(Train, [.. Enumerable.Range(0, count)]), Test, Channels, ImageSize, Normalize, FixedSize,
            $"{Description}; training on the first {count} images (--subset)", _fit);
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
        // Fashion-MNIST keeps its frame: a small shift (padding 2 at 28x28) and a flip. Photos get the ImageNet crop.
        if (_fit is not null) steps.Add(_fit);
        if (FixedSize) steps.AddRange([new RandomCrop(ImageSize, padding: 2 * ImageSize / FashionMnist.Side), new RandomHorizontalFlip()]);
        else steps.AddRange([new RandomResizedCrop(ImageSize), new RandomHorizontalFlip()]);
        if (policy == AutoPolicy.AutoAugment) steps.Add(new AutoAugment());
        if (policy == AutoPolicy.RandAugment) steps.Add(new RandAugment());
        return new Compose([.. steps]);
    }

    /// <summary>Evaluation and prediction: the shorter side to size / 0.875, then the center crop (for IDX data only the resize and channels, if any).</summary>
    public IImageTransform? EvalTransform() => FixedSize ? _fit : EvalTransform(ImageSize);

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
