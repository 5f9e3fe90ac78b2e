using ContextNets.Data;
using ContextNets.Data.Clips;
using ContextNets.Data.Transforms;

namespace ContextNets.Tests.Data.Clips;

public class ClipFolderTests
{
    /// <summary>
    /// Writes root/CLASS/CLIP/NNN.png: grey frames of width x height whose pixel (x, y) is 8x + k for frame k (a
    /// horizontal ramp that tells the frame by its offset), so that a sampled clip shows which frames it took and how
    /// it was cropped and flipped.
    /// </summary>
    internal static void WriteClip(TempDir dir, string clas, string clip, int frames, int width = 20, int height = 16, Func<int, (int w, int h)>? sizeOf = null)
    {
        for (int k = 0; k < frames; k++)
        {
            var (w, h) = sizeOf?.Invoke(k) ?? (width, height);
            var px = new byte[w * h];
            for (int y = 0; y < h; y++)
                for (int x = 0; x < w; x++) px[y * w + x] = (byte)(8 * x + k);
            dir.Write(Path.Combine(clas, clip, $"{k:D3}.png"), PngWriter.Encode(w, h, PngWriter.Gray, px));
        }
    }

    private static unsafe float[] Sample(ClipSampler sampler, ClipFolder folder, int index, Rng rng)
    {
        var clip = new float[sampler.Frames * sampler.Size * sampler.Size];
        long plane = sampler.Size * sampler.Size;
        fixed (float* p = clip) sampler.Write(folder.FramesOf(index), folder.PathOf(index), rng, p, 0, plane, sampler.Size, 1);
        return clip;
    }

    private static float At(float[] clip, ClipSampler s, int t, int y, int x) => clip[(t * s.Size + y) * s.Size + x] * 255f;

    [Fact]
    public void ClassesAndClipsAreTheFoldersInOrdinalOrderAndHiddenOnesAreSkipped()
    {
        using var dir = new TempDir();
        WriteClip(dir, "walk", "b", 3);
        WriteClip(dir, "walk", "a", 3);
        WriteClip(dir, "run", "z", 3);
        WriteClip(dir, ".cache", "x", 3);
        dir.Write(Path.Combine("run", "z", "notes.txt"), [1]);
        var folder = new ClipFolder(dir.Path);
        Assert.Equal(["run", "walk"], folder.Classes);
        Assert.Equal(3, folder.Count);
        Assert.Equal([0, 1, 1], Enumerable.Range(0, 3).Select(folder.Label));
        Assert.EndsWith(Path.Combine("walk", "a"), folder.PathOf(1));
        Assert.Equal(3, folder.FramesOf(0).Count);
    }

    [Fact]
    public void EvaluationTakesTheCentredSpanAndTheCentreCropWithoutDrawing()
    {
        using var dir = new TempDir();
        WriteClip(dir, "a", "c0", 12);
        var folder = new ClipFolder(dir.Path);
        var sampler = new ClipSampler(frames: 4, stride: 2, size: 16, train: false, Normalize.Unit(1));
        // Span 7 of 12 frames: start (12 - 7) / 2 = 2, so frames 2, 4, 6, 8; the 20x16 frames need no resize, and the
        // centre crop of width 16 starts at x = 2.
        var clip = Sample(sampler, folder, 0, new Rng(1));
        Assert.Equal(clip, Sample(sampler, folder, 0, new Rng(99)));
        for (int t = 0; t < 4; t++)
            for (int x = 0; x < 16; x++)
                Assert.Equal(8 * (x + 2) + 2 + 2 * t, At(clip, sampler, t, 5, x), 1e-3);
    }

    [Fact]
    public void TrainingDrawsTheStartAndGivesEveryFrameTheSameScaleCropAndFlip()
    {
        using var dir = new TempDir();
        WriteClip(dir, "a", "c0", 12, width: 28, height: 24);
        var folder = new ClipFolder(dir.Path);
        var sampler = new ClipSampler(frames: 3, stride: 3, size: 24, train: true, Normalize.Unit(1));
        var starts = new HashSet<int>();
        bool flipped = false, upright = false;
        for (int seed = 0; seed < 40; seed++)
        {
            var clip = Sample(sampler, folder, 0, new Rng((ulong)seed));
            Assert.Equal(clip, Sample(sampler, folder, 0, new Rng((ulong)seed)));
            // Frames differ by their frame offset alone (3 per sampled step) wherever the ramp did not saturate.
            for (int t = 1; t < 3; t++)
                for (int x = 0; x < 24; x++)
                    if (At(clip, sampler, 0, 10, x) < 240) Assert.Equal(3 * t, At(clip, sampler, t, 10, x) - At(clip, sampler, 0, 10, x), 1.01);
            float slope = At(clip, sampler, 0, 10, 20) - At(clip, sampler, 0, 10, 2);
            (slope < 0 ? ref flipped : ref upright) = true;
            var frames = sampler.FrameIndices(12, new Rng((ulong)seed), "c0");
            Assert.Equal([frames[0], frames[0] + 3, frames[0] + 6], frames);
            Assert.InRange(frames[0], 0, 12 - 7);
            starts.Add(frames[0]);
        }
        Assert.True(flipped && upright, "40 draws should give both flipped and upright clips.");
        Assert.True(starts.Count > 1, "40 draws should start the span at more than one frame.");
    }

    [Fact]
    public void ALoaderBatchesClipsAsNCTHWWithTheirLabelsTheSameForTheSameSeed()
    {
        using var dir = new TempDir();
        for (int i = 0; i < 3; i++) WriteClip(dir, "a", $"c{i}", 8);
        for (int i = 0; i < 2; i++) WriteClip(dir, "b", $"c{i}", 9);
        var clips = new FolderClips(new ClipFolder(dir.Path), new ClipSampler(4, 2, 16, train: true, Normalize.Unit(3)));
        using var loader = new DataLoader(clips, new LoaderOptions { BatchSize = 5, Seed = 3 });
        using var a = loader.MakeBatch(0, 0);
        using var b = loader.MakeBatch(0, 0);
        Assert.Equal(new Shape(5, 3, 4, 16, 16), a.Images.Shape);
        Assert.Equal(a.Indices.Select(i => i < 3 ? 0 : 1), a.Labels);
        Assert.Equal(a.Images.ToArray(), b.Images.ToArray());
        Assert.Equal(5, loader.Count);
    }

    [Fact]
    public void GeneratedClipsAreBatchedAsTheGeneratorMadeThem()
    {
        var moving = new MovingItemClips(new SquareItems(8, 2, 6, 100, 100), 6, seed: 2, frames: 4, side: 24);
        using var loader = new DataLoader(new GeneratedClips(moving), new LoaderOptions { BatchSize = 3, Shuffle = false });
        using var batch = loader.MakeBatch(0, 1);
        Assert.Equal(new Shape(3, 1, 4, 24, 24), batch.Images.Shape);
        var values = batch.Images.ToArray();
        for (int i = 0; i < 3; i++)
        {
            Assert.Equal(moving.Label(3 + i), batch.Labels[i]);
            Assert.Equal(moving.Clip(3 + i), values.AsSpan(i * 4 * 24 * 24, 4 * 24 * 24).ToArray());
        }
    }
}
