using ContextNets.Models;
using ContextNets.NN;

namespace ContextNets.Cli;

/// <summary>The models the tool can train: the whole zoo, by its timm-style names.</summary>
internal static class ModelCatalog
{
    public const string Default = "gc_resnet20";

    public static IReadOnlyList<string> Names => Zoo.Names;

    public static bool Exists(string name) => Zoo.Contains(name);

    /// <summary>Throws a <see cref="CliException"/> listing the known names when <paramref name="name"/> is not one.</summary>
    public static void Require(string name)
    {
        if (!Exists(name)) throw new CliException($"Unknown model '{name}'. Known models: {string.Join(", ", Names)}.");
    }

    public static Module Create(string name, int numClasses, int inChannels)
    {
        Require(name);
        return Zoo.Create(name, numClasses, inChannels);
    }

    /// <summary>The side of the square images trained on when the data does not fix it (image folders): the CIFAR ResNets' 32.</summary>
    public const int DefaultImageSize = 32;
}
