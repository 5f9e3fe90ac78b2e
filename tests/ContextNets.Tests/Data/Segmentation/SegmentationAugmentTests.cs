using ContextNets.Data;
using ContextNets.Data.Segmentation;

namespace ContextNets.Tests.Data.Segmentation;

/// <summary>The image and its label map move together through resize, pad, crop and flip; labels are never mixed.</summary>
public class SegmentationAugmentTests
{
    /// <summary>A w x h image whose red channel is the label (0..5) of its pixel, the labels in blocks.</summary>
    private static LabeledImage Coded(int w, int h)
    {
        var image = new Image8(w, h, 3);
        var labels = new byte[w * h];
        for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++)
        {
            byte label = (byte)((x / 3 + 2 * (y / 4)) % 6);
            labels[y * w + x] = label;
            image[y, x, 0] = label;
            image[y, x, 1] = (byte)x;
            image[y, x, 2] = (byte)y;
        }
        return new LabeledImage(image, labels);
    }

    [Fact]
    public void CropPadAndFlipMoveTheImageAndTheLabelsTogether()
    {
        var sample = Coded(20, 20);
        int padded = 0;
        for (int seed = 0; seed < 20; seed++)
        {
            // Scale 1: no resampling, so every kept pixel's red channel must still be its label.
            var view = SegmentationAugment.Train(sample, baseSide: 20, crop: 24, minScale: 1, maxScale: 1, new Rng((ulong)seed));
            Assert.Equal(24, view.Width);
            Assert.Equal(24, view.Height);
            for (int y = 0; y < 24; y++)
            for (int x = 0; x < 24; x++)
            {
                byte label = view.Labels[y * 24 + x];
                if (label == LabeledImage.Ignore)
                {
                    padded++;
                    Assert.Equal(0, view.Image[y, x, 0] + view.Image[y, x, 1] + view.Image[y, x, 2]);
                }
                else Assert.Equal(label, view.Image[y, x, 0]);
            }
        }
        // The 20x20 view is padded to 24x24: 176 ignored pixels per view.
        Assert.Equal(20 * (24 * 24 - 20 * 20), padded);
    }

    [Fact]
    public void FlipsHappenAndMirrorTheColumns()
    {
        var sample = Coded(32, 32);
        bool flipped = false, kept = false;
        for (int seed = 0; seed < 16; seed++)
        {
            var view = SegmentationAugment.Train(sample, 32, 32, 1, 1, new Rng((ulong)seed));
            // The green channel holds the source column: increasing along a row unless mirrored.
            if (view.Image[0, 0, 1] == 31 && view.Image[0, 31, 1] == 0) flipped = true;
            if (view.Image[0, 0, 1] == 0 && view.Image[0, 31, 1] == 31) kept = true;
        }
        Assert.True(flipped && kept, $"flipped {flipped}, kept {kept}");
    }

    [Fact]
    public void LabelsAreResizedByNearestNeighbour()
    {
        byte[] labels = [1, 2, 3, 4];
        Assert.Equal([1, 1, 2, 2, 1, 1, 2, 2, 3, 3, 4, 4, 3, 3, 4, 4], SegmentationAugment.NearestLabels(labels, 2, 2, 4, 4));
        // Shrinking 4 -> 3 takes source columns floor(i * 4 / 3) = 0, 1, 2, as PyTorch's nearest.
        byte[] row = [10, 11, 12, 13];
        Assert.Equal([10, 11, 12], SegmentationAugment.NearestLabels(row, 4, 1, 3, 1));
    }

    [Fact]
    public void ScaledViewsKeepOnlyLabelsOfTheSource()
    {
        var sample = Coded(30, 30);
        for (int seed = 0; seed < 10; seed++)
        {
            var view = SegmentationAugment.Train(sample, 40, 32, 0.5, 1.5, new Rng((ulong)seed));
            Assert.All(view.Labels, l => Assert.True(l < 6 || l == LabeledImage.Ignore, $"label {l}"));
        }
    }
}
