namespace ContextNets.Data.Scenes;

/// <summary>
/// A split of generated scenes as a fixed-size set: scene i is <see cref="SceneGenerator.Generate"/>(i), made when
/// asked for (a few milliseconds), so the set holds no images. Train scenes paste Fashion-MNIST's training images and
/// val scenes its test images, so no item of a val scene was seen in training.
/// </summary>
public sealed class SceneSet
{
    private readonly SceneGenerator _generator;

    public SceneSet(SceneGenerator generator, int count)
    {
        ArgumentNullException.ThrowIfNull(generator);
        if (count < 1) throw new ArgumentException($"A set of scenes needs at least one scene, got {count}.");
        _generator = generator;
        Count = count;
    }

    /// <summary>
    /// <paramref name="count"/> scenes of <paramref name="split"/> (Train: Fashion-MNIST's training images; Test: the
    /// val scenes, from its test images) with <paramref name="seed"/>, reading Fashion-MNIST from <paramref name="root"/>
    /// (Debian's dataset-fashion-mnist folder when null).
    /// </summary>
    public static SceneSet Load(Split split, int count, int seed = 0, string? root = null, SceneOptions? options = null) =>
        new(new SceneGenerator(FashionMnist.Load(split, root), split, seed, options), count);

    public int Count { get; }

    public SceneGenerator Generator => _generator;

    /// <summary>Scene <paramref name="index"/> in [0, Count).</summary>
    public Scene this[int index] =>
        (uint)index < (uint)Count ? _generator.Generate(index) : throw new ArgumentOutOfRangeException(nameof(index), $"Scene {index} is outside [0, {Count}).");
}
