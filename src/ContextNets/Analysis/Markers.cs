namespace ContextNets.Analysis;

/// <summary>The colours of the query markers: distinct from each other and from <see cref="ColorMap"/>.</summary>
public static class Markers
{
    private static readonly (byte r, byte g, byte b)[] Palette =
    [
        (230, 25, 75), (255, 255, 255), (240, 50, 230), (245, 130, 48), (70, 240, 240), (0, 130, 200),
        (250, 190, 212), (170, 110, 40), (220, 190, 255), (128, 0, 0), (255, 215, 180), (0, 0, 0),
        (145, 30, 180), (255, 250, 200), (128, 128, 128), (0, 0, 128),
    ];

    /// <summary>How many queries get a colour of their own.</summary>
    public static int Count => Palette.Length;

    public static (byte r, byte g, byte b) Color(int query) => Palette[query % Palette.Length];
}
