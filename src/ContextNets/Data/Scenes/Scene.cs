namespace ContextNets.Data.Scenes;

/// <summary>
/// One visible item of a scene: its Fashion-MNIST class (0..9), its box (x1, y1, x2, y2) in pixels as torchvision
/// stores boxes (x2 and y2 one past the last column and row of the mask, so the box is tight around it), and its
/// mask (Size x Size, row-major, 1 where the item is visible).
/// </summary>
public sealed record SceneItem(int Label, float X1, float Y1, float X2, float Y2, byte[] Mask, int SourceIndex);

/// <summary>
/// A generated scene (<see cref="SceneGenerator"/>): the RGB image, its visible items in paste order (the last on top),
/// and the semantic map: per pixel 0 for background or 1 + the class of the item on top there. Items hidden by later
/// ones are cut from the earlier ones' masks, so every pixel belongs to at most one mask, and the semantic map is
/// exactly the union of the masks with their classes.
/// </summary>
public sealed class Scene
{
    internal Scene(int index, Image8 image, IReadOnlyList<SceneItem> items, byte[] semantic)
    {
        Index = index;
        Image = image;
        Items = items;
        Semantic = semantic;
    }

    /// <summary>The scene's index in its split: with the seed, all that decides it.</summary>
    public int Index { get; }

    /// <summary>The RGB canvas with the items painted on it.</summary>
    public Image8 Image { get; }

    public IReadOnlyList<SceneItem> Items { get; }

    /// <summary>Size x Size class indices, row-major: 0 background, 1..10 the Fashion-MNIST classes 0..9.</summary>
    public byte[] Semantic { get; }

    public int Size => Image.Width;

    /// <summary>The semantic map's class names: background, then Fashion-MNIST's.</summary>
    public static IReadOnlyList<string> SemanticClasses { get; } = ["background", .. FashionMnist.ClassNames];
}
