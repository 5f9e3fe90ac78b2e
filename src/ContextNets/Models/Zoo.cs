using ContextNets.NN;

namespace ContextNets.Models;

/// <summary>
/// A model of the zoo: its name (timm's or torchvision's where they have one), the input it is made for (side of
/// the square image, channels, classes), what it is, and how its configuration is built.
/// </summary>
public sealed record ZooEntry(string Name, string Family, int InputSize, int DefaultClasses, int DefaultInChannels, string Description,
    Func<int, int, ResNetConfig> Config);

/// <summary>
/// The named networks: the ImageNet ResNets and their attention variants as timm and torchvision define them,
/// and the CIFAR-style ResNet-20 family (28x28 Fashion-MNIST by default) with one of each attention block.
/// </summary>
public static class Zoo
{
    private static readonly Dictionary<string, ZooEntry> Entries = ZooImageNet.Entries().Concat(ZooCifar.Entries())
        .ToDictionary(e => e.Name, StringComparer.Ordinal);

    /// <summary>Every model name, ImageNet models first, in the order `ctxnet models` lists them.</summary>
    public static IReadOnlyList<string> Names { get; } = [.. ZooImageNet.Entries().Concat(ZooCifar.Entries()).Select(e => e.Name)];

    public static ZooEntry Entry(string name) =>
        Entries.TryGetValue(name ?? throw new ArgumentNullException(nameof(name)), out var e)
            ? e
            : throw new ArgumentException($"No model named '{name}'. Known models: {string.Join(", ", Names)}.");

    public static bool Contains(string name) => Entries.ContainsKey(name);

    /// <summary>What the model is and where its attention sits (one line).</summary>
    public static string Describe(string name) => Entry(name).Description;

    /// <summary>The configuration of a model, for a classifier of <paramref name="numClasses"/> over images of <paramref name="inChannels"/> channels (the model's defaults when null).</summary>
    public static ResNetConfig Config(string name, int? numClasses = null, int? inChannels = null)
    {
        var e = Entry(name);
        return e.Config(numClasses ?? e.DefaultClasses, inChannels ?? e.DefaultInChannels);
    }

    /// <summary>
    /// The profile (<see cref="Profiler"/>) of a model with its default classes and channels on one image of
    /// <paramref name="inputSize"/> squared (the model's default input when null).
    /// </summary>
    public static ModelProfile Profile(string name, int? inputSize = null)
    {
        var e = Entry(name);
        int size = inputSize ?? e.InputSize;
        if (size < 1) throw new ArgumentException($"The input size must be positive, got {size}.");
        // Counting needs the shapes only, not random weights.
        using var skip = Initializers.SkipRandom();
        using var model = Create(name);
        return Profiler.Of(model, new Shape(1, e.DefaultInChannels, size, size));
    }

    /// <summary>The seed of <see cref="Create"/> when none is given.</summary>
    public const int DefaultSeed = 0;

    /// <summary>
    /// A freshly initialized model by name (numClasses and inChannels default to the model's: 1000 and 3 for ImageNet
    /// models, 10 and 1 for the CIFAR-style ones). Its weights depend on <paramref name="seed"/> alone: the same name,
    /// sizes and seed give the same weights on any thread, whatever was built before.
    /// </summary>
    public static ResNet Create(string name, int? numClasses = null, int? inChannels = null, int seed = DefaultSeed)
    {
        var config = Config(name, numClasses, inChannels);
        using var seeded = Initializers.Seeded(seed);
        return new ResNet(config);
    }

    /// <summary>
    /// A zoo model as a headless backbone (timm's features_only; torchvision's `backbone` of a segmenter or the `body`
    /// of a detector): no `fc`, its last stages dilated to <paramref name="outputStride"/> (8 or 16 on the ImageNet
    /// models; null keeps every stride), with its attention blocks in place. Its <see cref="ResNet.ForwardFeatureMaps"/> gives the
    /// maps that <see cref="ResNet.Features"/> describes. Weights as <see cref="Create"/>'s, from the seed alone.
    /// </summary>
    public static ResNet CreateBackbone(string name, int? outputStride = null, int? inChannels = null, int seed = DefaultSeed)
    {
        var config = Config(name, 0, inChannels);
        if (outputStride is { } stride) config = config.WithOutputStride(stride);
        using var seeded = Initializers.Seeded(seed);
        return new ResNet(config);
    }
}
