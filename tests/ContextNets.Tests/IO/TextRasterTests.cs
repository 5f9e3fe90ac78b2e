using ContextNets.IO;

namespace ContextNets.Tests.IO;

/// <summary>The pictures' text: real glyphs in DejaVu Sans, inside the box that was measured for them.</summary>
public sealed class TextRasterTests
{
    private static readonly (byte, byte, byte) White = (255, 255, 255), Ink = (40, 40, 40);

    [Fact]
    public void TheInstalledFontIsUsed() => Assert.True(TextRaster.HasFamily, $"{TextRaster.Family} is missing: apt-get install fonts-dejavu-core");

    [Fact]
    public void TextInksOnlyItsMeasuredBox()
    {
        var canvas = new Canvas(200, 60, White);
        const string text = "Accuracy 91.5%";
        canvas.Text(20, 10, text, Ink);
        int w = Canvas.TextWidth(text), h = Canvas.LineHeight();
        int inside = 0;
        for (int y = 0; y < canvas.Height; y++)
            for (int x = 0; x < canvas.Width; x++)
                if (canvas.Get(x, y) != White)
                {
                    Assert.True(x >= 20 && x < 20 + w && y >= 10 && y < 10 + h, $"ink at ({x}, {y}), outside the {w}x{h} box at (20, 10)");
                    inside++;
                }
        // A string of 14 glyphs inks a good share of its box, some pixels fully.
        Assert.True(inside > w * h / 10, $"only {inside} pixels inked in a {w}x{h} box");
        Assert.Contains(Ink, Enumerable.Range(0, w * h).Select(i => canvas.Get(20 + i % w, 10 + i / w)));
    }

    [Fact]
    public void WidthGrowsWithTheTextAndTheSize()
    {
        Assert.Equal(0, Canvas.TextWidth(""));
        Assert.True(Canvas.TextWidth("ii") < Canvas.TextWidth("WW"));
        Assert.True(Canvas.TextWidth("loss", 28) > 1.8 * Canvas.TextWidth("loss", 14));
        Assert.InRange(Canvas.LineHeight(14), 14, 20);
    }

    [Fact]
    public void TextOffTheCanvasIsClipped()
    {
        var canvas = new Canvas(10, 10, White);
        canvas.Text(-30, -5, "clipped text", Ink);
        canvas.Text(8, 8, "edge", Ink);
        Assert.Equal(10, canvas.Width);
    }
}
