using ContextNets.Data;

namespace ContextNets.Tests.Data;

/// <summary>Items for the moving-item clips: <paramref name="count"/> solid squares of <paramref name="side"/> pixels whose grey level tells their class (index mod classes).</summary>
internal sealed class SquareItems(int count, int classes, int side, int firstLevel, int levelStep) : IDataset
{
    public int Count => count;
    public IReadOnlyList<string> Classes { get; } = [.. Enumerable.Range(0, classes).Select(i => $"c{i}")];
    public int Label(int index) => index % classes;

    public Image8 Image(int index)
    {
        var image = new Image8(side, side, 1);
        Array.Fill(image.Pixels, (byte)(firstLevel + levelStep * Label(index)));
        return image;
    }
}
