namespace ContextNets.Analysis;

/// <summary>
/// The H x W of a pooling map known only by its H*W positions (GC and SNL keep [N, H*W]): the map of an
/// image of size h x w after a network's downsampling by s is ceil(h / s) x ceil(w / s) (or floor, for
/// unpadded steps), so the first power of two s that gives the count is taken; a square count is a square
/// map as a last resort.
/// </summary>
public static class MapGrid
{
    /// <summary>The map's (height, width), or null when no downsampling of the image gives <paramref name="positions"/>.</summary>
    public static (int height, int width)? Infer(int positions, int imageHeight, int imageWidth)
    {
        for (int s = 1; s <= Math.Max(imageHeight, imageWidth); s *= 2)
        {
            int ch = (imageHeight + s - 1) / s, cw = (imageWidth + s - 1) / s;
            if (ch * cw == positions) return (ch, cw);
            int fh = imageHeight / s, fw = imageWidth / s;
            if (fh * fw == positions) return (fh, fw);
        }
        int side = (int)Math.Round(Math.Sqrt(positions));
        return side * side == positions ? (side, side) : null;
    }
}
