namespace ContextNets.Data.Scenes;

/// <summary>
/// Deterministic scenes of Fashion-MNIST items for detection and segmentation. Scene i of a split is drawn from its
/// own generator, Rng.For(seed, split, i), so it depends on the seed, the split and i alone (not on the order or the
/// thread that asks for it, and no global seed is involved). A scene is drawn in this order:
/// <list type="number">
/// <item>the textured canvas (<see cref="SceneTexture"/>);</item>
/// <item>the number of items, uniform in [MinItems, MaxItems];</item>
/// <item>for each item: a source image, uniform over the split's Fashion-MNIST set (train scenes from its 60,000
/// training images, val scenes from its 10,000 test images); a side, uniform in [MinScale, MaxScale]; a position,
/// uniform over those that keep the item inside the canvas; a tint, every channel uniform in [40, 256).</item>
/// </list>
/// An item is scaled bilinearly (half-pixel centres, edges clamped) to its side; its pixels with a gray value of at
/// least MaskThreshold are painted in its tint shaded by that value (tint * (0.3 + 0.7 gray / 255)), replacing what
/// was there. Items are pasted in order, so a later item hides an earlier one where they overlap: each pixel belongs
/// to the last item painted there. Masks are the visible pixels, boxes are tight around them, and an item left with
/// fewer than MinVisiblePixels visible pixels is dropped from the annotations (its paint stays on the canvas).
/// </summary>
public sealed class SceneGenerator
{
    private readonly IdxDataset _items;
    private readonly long _stream;

    /// <param name="items">Fashion-MNIST images of the split (<see cref="FashionMnist.Load"/>)</param>
    /// <param name="split">which split the scenes are; it selects their generators' stream</param>
    /// <param name="seed">the seed of the whole set of scenes</param>
    /// <param name="options">how scenes are drawn (the issues' defaults when null)</param>
    public SceneGenerator(IdxDataset items, Split split, int seed = 0, SceneOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(items);
        Options = options ?? new SceneOptions();
        Options.Validate();
        if (items.Count == 0) throw new ArgumentException("Scenes: the Fashion-MNIST set has no images to paste.");
        _items = items;
        Split = split;
        Seed = seed;
        _stream = split == Split.Train ? 0x5CE7E1 : 0x5CE7E2;
    }

    public SceneOptions Options { get; }
    public Split Split { get; }
    public int Seed { get; }

    /// <summary>Scene <paramref name="index"/> of this split and seed; the same every time it is asked for.</summary>
    public Scene Generate(int index)
    {
        if (index < 0) throw new ArgumentOutOfRangeException(nameof(index), $"A scene index is not negative, got {index}.");
        var rng = Rng.For(Seed, _stream, index);
        int size = Options.Size;
        var canvas = SceneTexture.Paint(size, rng);
        var owner = new int[size * size];
        Array.Fill(owner, -1);
        int count = rng.NextInt(Options.MinItems, Options.MaxItems + 1);
        var pasted = new List<(int label, int source)>(count);
        for (int k = 0; k < count; k++)
        {
            int source = rng.NextInt(_items.Count);
            int side = rng.NextInt(Options.MinScale, Options.MaxScale + 1);
            int left = rng.NextInt(size - side + 1), top = rng.NextInt(size - side + 1);
            var tint = SceneTexture.Colour(rng, 40, 256);
            Paste(canvas, owner, k, ItemScaler.Scale(_items.Image(source), side), left, top, tint);
            pasted.Add((_items.Label(source), source));
        }
        return Annotate(index, canvas, owner, pasted);
    }

    private void Paste(Image8 canvas, int[] owner, int item, byte[] gray, int left, int top, int[] tint)
    {
        int side = (int)Math.Sqrt(gray.Length), size = canvas.Width;
        for (int y = 0; y < side; y++)
            for (int x = 0; x < side; x++)
            {
                byte g = gray[y * side + x];
                if (g < Options.MaskThreshold) continue;
                int cy = top + y, cx = left + x;
                double shade = 0.3 + 0.7 * g / 255.0;
                for (int c = 0; c < 3; c++) canvas[cy, cx, c] = (byte)Math.Round(tint[c] * shade);
                owner[cy * size + cx] = item;
            }
    }

    private Scene Annotate(int index, Image8 canvas, int[] owner, List<(int label, int source)> pasted)
    {
        int size = canvas.Width;
        var items = new List<SceneItem>();
        var semantic = new byte[size * size];
        for (int k = 0; k < pasted.Count; k++)
        {
            var mask = new byte[size * size];
            int pixels = 0, x1 = size, y1 = size, x2 = -1, y2 = -1;
            for (int p = 0; p < owner.Length; p++)
            {
                if (owner[p] != k) continue;
                mask[p] = 1;
                pixels++;
                int y = p / size, x = p % size;
                (x1, y1, x2, y2) = (Math.Min(x1, x), Math.Min(y1, y), Math.Max(x2, x), Math.Max(y2, y));
            }
            if (pixels < Options.MinVisiblePixels) continue;
            var (label, source) = pasted[k];
            for (int p = 0; p < owner.Length; p++)
                if (mask[p] != 0) semantic[p] = (byte)(label + 1);
            items.Add(new SceneItem(label, x1, y1, x2 + 1, y2 + 1, mask, source));
        }
        return new Scene(index, canvas, items, semantic);
    }
}
