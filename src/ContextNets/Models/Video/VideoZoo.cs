using ContextNets.NN;

namespace ContextNets.Models.Video;

/// <summary>A video network of the zoo: its name, the clip it is made for (frames, side), its default classes, what it is, and how it is built.</summary>
public sealed record VideoZooEntry(string Name, int Frames, int InputSize, int DefaultClasses, string Description, Func<int, int, Module> Build);

/// <summary>
/// The named video networks: torchvision's VideoResNet-18s (Kinetics-400 heads by default) and the Non-local paper's
/// C2D / I3D ResNet-50s with and without NL or GC blocks (docs/video.md gives their keys and where each block sits).
/// </summary>
public static class VideoZoo
{
    private static readonly VideoZooEntry[] All =
    [
        new("r3d_18", 16, 112, 400, "torchvision R3D-18: 3x3x3 convs throughout",
            (classes, channels) => new VideoResNet([VideoConvKind.Full3d, VideoConvKind.Full3d, VideoConvKind.Full3d, VideoConvKind.Full3d], false, classes, channels)),
        new("mc3_18", 16, 112, 400, "torchvision MC3-18: 3x3x3 convs in layer1, 1x3x3 (no time) above",
            (classes, channels) => new VideoResNet([VideoConvKind.Full3d, VideoConvKind.NoTemporal, VideoConvKind.NoTemporal, VideoConvKind.NoTemporal], false, classes, channels)),
        new("r2plus1d_18", 16, 112, 400, "torchvision R(2+1)D-18: every 3x3x3 factorized into 1x3x3 and 3x1x1",
            (classes, channels) => new VideoResNet([VideoConvKind.TwoPlusOne, VideoConvKind.TwoPlusOne, VideoConvKind.TwoPlusOne, VideoConvKind.TwoPlusOne], true, classes, channels)),
        .. NonLocalVideoNets.Entries(),
    ];

    private static readonly Dictionary<string, VideoZooEntry> ByName = All.ToDictionary(e => e.Name, StringComparer.Ordinal);

    public static IReadOnlyList<string> Names { get; } = [.. All.Select(e => e.Name)];

    public static bool Contains(string name) => ByName.ContainsKey(name);

    public static VideoZooEntry Entry(string name) =>
        ByName.TryGetValue(name ?? throw new ArgumentNullException(nameof(name)), out var e)
            ? e
            : throw new ArgumentException($"No video model named '{name}'. Known video models: {string.Join(", ", Names)}.");

    /// <summary>A freshly initialized network whose weights depend on <paramref name="seed"/> alone.</summary>
    public static Module Create(string name, int? numClasses = null, int inChannels = 3, int seed = Zoo.DefaultSeed)
    {
        var e = Entry(name);
        int classes = numClasses ?? e.DefaultClasses;
        if (classes < 1) throw new ArgumentException($"{name}: the class count must be at least 1, not {classes}.");
        if (inChannels < 1) throw new ArgumentException($"{name}: the input channels must be at least 1, not {inChannels}.");
        using var seeded = Initializers.Seeded(seed);
        return e.Build(classes, inChannels);
    }
}
