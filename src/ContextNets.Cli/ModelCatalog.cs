using ContextNets.Attention;
using ContextNets.Models;
using ContextNets.NN;

namespace ContextNets.Cli;

/// <summary>
/// The models the tool can train. Every model is made in <see cref="Create"/>, the one place that
/// changes when the zoo (Zoo.Create) takes over.
/// </summary>
internal static class ModelCatalog
{
    public const string Default = "gc_resnet20";

    private static readonly string[] Depths = ["20", "32", "56"];

    public static IReadOnlyList<string> Names { get; } = [.. Depths.Select(d => "resnet" + d), .. Depths.Select(d => "gc_resnet" + d)];

    public static bool Exists(string name) => Names.Contains(name);

    /// <summary>Throws a <see cref="CliException"/> listing the known names when <paramref name="name"/> is not one.</summary>
    public static void Require(string name)
    {
        if (!Exists(name)) throw new CliException($"Unknown model '{name}'. Known models: {string.Join(", ", Names)}.");
    }

    public static Module Create(string name, int numClasses, int inChannels)
    {
        Require(name);
        bool gc = name.StartsWith("gc_", StringComparison.Ordinal);
        int depth = int.Parse(name[(name.LastIndexOf("resnet", StringComparison.Ordinal) + 6)..], System.Globalization.CultureInfo.InvariantCulture);
        var config = ResNets.Cifar(depth, numClasses, inChannels);
        // GCNet's placement for basic blocks: after the second BN, before the sum, in every stage, with the paper's stronger r = 4.
        if (gc) config = config with { AttentionAfterLastNorm = Placement.Everywhere(c => new GlobalContext(c, rdRatio: 1.0 / 4)) };
        return new ResNet(config);
    }

    /// <summary>The side of the square images trained on when the data does not fix it (image folders): the CIFAR ResNets' 32.</summary>
    public const int DefaultImageSize = 32;
}
