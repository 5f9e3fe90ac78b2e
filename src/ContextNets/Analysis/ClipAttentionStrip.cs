using ContextNets.Attention;
using ContextNets.Data;
using ContextNets.IO;

namespace ContextNets.Analysis;

/// <summary>
/// A few queries of an NL block on one clip, each at its own frame, and each query's attention map over all the
/// block's frames: a picture with one row per query and one panel per frame (the frame under the map of that frame's
/// keys), the query marked in its own frame's panel. A row shares one colour scale, 0 to the largest value of the
/// query's map over the whole clip, so that where the attention goes across frames shows. The query's position in
/// its frame is the one whose input feature is largest there (an item, on the generated clips). A GC block's one
/// context map (shared by every query) is a strip of one row without a query (<see cref="OfContext"/>).
/// </summary>
public sealed class ClipAttentionStrip
{
    private readonly (int frame, int y, int x, float[] map)[] _rows;
    private readonly Image8[] _frames;
    private readonly int _keyHeight, _keyWidth;

    private ClipAttentionStrip((int, int, int, float[])[] rows, Image8[] frames, int keyHeight, int keyWidth, int height, int width)
    {
        _rows = rows;
        _frames = frames;
        _keyHeight = keyHeight;
        _keyWidth = keyWidth;
        Height = height;
        Width = width;
    }

    /// <summary>The block's frame size (its query map per frame).</summary>
    public int Height { get; }
    public int Width { get; }

    /// <summary>The query frames and positions (frame -1: a context map, no query), and their maps [frames x keyHeight x keyWidth].</summary>
    public IReadOnlyList<(int frame, int y, int x, float[] map)> Rows => _rows;

    /// <summary>The strip of clip <paramref name="clip"/> from the block's last forward, whose map had <paramref name="frames"/> frames.</summary>
    internal static ClipAttentionStrip Of(NonLocal nl, int clip, int frames, int queries, Image8[] clipFrames)
    {
        var attention = nl.LastAttention ?? throw new InvalidOperationException("The NL block kept no attention.");
        var input = nl.LastInput!;
        int folded = input.Shape[2], w = input.Shape[3], keys = attention.Shape[2];
        if (frames < 1 || folded % frames != 0) throw new ArgumentException($"A folded map of height {folded} does not hold {frames} frames.");
        int h = folded / frames, keysPerFrame = keys / frames;
        var (kh, kw) = h * w == keysPerFrame ? (h, w) : (h / 2, w / 2);
        if (kh * kw * frames != keys) throw new ArgumentException($"{keys} keys are neither {frames}x{h}x{w} nor its (1, 2, 2) pooling.");
        using var rows = F.Materialize(attention, MemoryFormat.Contiguous);
        using var features = F.Materialize(input, MemoryFormat.ChannelsLast);
        int positions = folded * w, channels = input.Shape[1];
        var chosen = Enumerable.Range(0, Math.Min(queries, frames)).Select(q => q * frames / Math.Min(queries, frames)).Distinct().ToArray();
        var result = new (int, int, int, float[])[chosen.Length];
        for (int q = 0; q < chosen.Length; q++)
        {
            int t = chosen[q];
            var (y, x) = Strongest(features.Span, clip, t, h, w, channels, folded);
            long row = (long)clip * positions + (t * h + y) * w + x;
            result[q] = (t, y, x, rows.Span.Slice((int)(row * keys), keys).ToArray());
        }
        return new(result, Shown(clipFrames, frames), kh, kw, h, w);
    }

    /// <summary>
    /// The strip of a GC block's pooling weights for clip <paramref name="clip"/> of its last forward ([N, T*H*W] over
    /// the folded clip of <paramref name="frames"/> frames): one row, a panel per frame; H x W from the frames' size as
    /// <see cref="MapGrid"/> infers a 2-D map's.
    /// </summary>
    internal static ClipAttentionStrip OfContext(Tensor weights, int clip, int frames, Image8[] clipFrames)
    {
        int positions = weights.Shape[1];
        if (frames < 1 || positions % frames != 0) throw new ArgumentException($"A context map of {positions} positions does not hold {frames} frames.");
        var (h, w) = MapGrid.Infer(positions / frames, clipFrames[0].Height, clipFrames[0].Width)
            ?? throw new ArgumentException($"A frame's {positions / frames} positions are no downsampling of {clipFrames[0].Width}x{clipFrames[0].Height} frames.");
        using var rows = F.Materialize(weights, MemoryFormat.Contiguous);
        var map = rows.Span.Slice(clip * positions, positions).ToArray();
        return new([(-1, 0, 0, map)], Shown(clipFrames, frames), h, w, h, w);
    }

    // Frame k of the block covers frames k * stride .. of the clip; its first one is drawn.
    private static Image8[] Shown(Image8[] clipFrames, int frames)
    {
        int stride = Math.Max(1, clipFrames.Length / frames);
        return [.. Enumerable.Range(0, frames).Select(k => clipFrames[Math.Min(k * stride, clipFrames.Length - 1)])];
    }

    /// <summary>The position of frame <paramref name="t"/> whose input feature has the largest L2 norm (channels-last map).</summary>
    private static (int y, int x) Strongest(ReadOnlySpan<float> map, int clip, int t, int h, int w, int channels, int folded)
    {
        var best = (y: 0, x: 0);
        double bestNorm = -1;
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++)
            {
                var f = map.Slice((((clip * folded) + t * h + y) * w + x) * channels, channels);
                double norm = 0;
                foreach (var v in f) norm += v * v;
                if (norm > bestNorm) (bestNorm, best) = (norm, (y, x));
            }
        return best;
    }

    /// <summary>One row per query, one panel per frame; a label per row says the query's frame and the scale's top.</summary>
    public Canvas Render()
    {
        var first = _frames[0];
        int scale = HeatMap.Scale(first.Height, first.Width), pw = first.Width * scale, ph = first.Height * scale, gap = 4, label = 12;
        var canvas = new Canvas(_frames.Length * (pw + gap) + gap, _rows.Length * (ph + label + gap) + gap, (255, 255, 255));
        for (int r = 0; r < _rows.Length; r++)
        {
            var (frame, y, x, map) = _rows[r];
            int top = gap + r * (ph + label + gap);
            double max = map.Max();
            canvas.Text(gap, top, frame < 0 ? $"CONTEXT MAP  MAX {HeatMap.Legend(max)}" : $"Q AT FRAME {frame}  MAX {HeatMap.Legend(max)}", (0, 0, 0));
            int plane = _keyHeight * _keyWidth;
            for (int k = 0; k < _frames.Length; k++)
            {
                int left = gap + k * (pw + gap);
                HeatMap.DrawOverlay(canvas, left, top + label, _frames[k], scale, map.AsSpan(k * plane, plane), _keyHeight, _keyWidth, max);
                if (k == frame)
                {
                    var (cx, cy) = HeatMap.CellCentre(y, x, Height, Width, ph, pw);
                    HeatMap.DrawMarker(canvas, left + cx, top + label + cy, Markers.Color(0));
                }
            }
        }
        return canvas;
    }
}
