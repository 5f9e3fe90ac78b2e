using ContextNets.Data;

namespace ContextNets.Tests.Data;

public class MixupTests
{
    private static Tensor Images(int n, int c, int h, int w, MemoryFormat format = MemoryFormat.Contiguous)
    {
        var t = Tensor.FromArray(Enumerable.Range(0, n * c * h * w).Select(i => i * 0.37f - 3f).ToArray(), new Shape(n, c, h, w));
        return format == MemoryFormat.Contiguous ? t : F.Materialize(t, format);
    }

    private static float[] Smoothed(int label, int k, float eps)
    {
        var row = new float[k];
        for (int j = 0; j < k; j++) row[j] = (float)(j == label ? 1 - eps + eps / (double)k : eps / (double)k);
        return row;
    }

    [Theory]
    [InlineData(MemoryFormat.Contiguous)]
    [InlineData(MemoryFormat.ChannelsLast)]
    public void MixupBlendsEachSampleWithItsMirrorAndTheTargetsToo(MemoryFormat format)
    {
        using var scope = Tensor.Scope();
        var x = Images(4, 2, 3, 3, format);
        var before = x.ToArray();
        int[] labels = [0, 1, 2, 1];
        var mix = new Mixup(3, mixupAlpha: 0.8, cutmixAlpha: 0, labelSmoothing: 0.1f);
        var r = mix.Apply(x, labels, new Rng(5));
        using var targets = r.Targets;
        // The draws, replayed: mix or not (prob 1), then lambda ~ Beta(0.8, 0.8).
        var replay = new Rng(5);
        Assert.True(replay.NextDouble() < 1.0);
        double lam = replay.Beta(0.8, 0.8);
        Assert.Equal(lam, r.Lambda);
        Assert.False(r.CutMix);
        float a = (float)lam, b = (float)(1 - lam);
        var after = x.ToArray();
        int per = 2 * 3 * 3;
        for (int i = 0; i < 4; i++)
            for (int e = 0; e < per; e++)
                Assert.Equal(before[i * per + e] * a + before[(3 - i) * per + e] * b, after[i * per + e]);
        var t = targets.ToArray();
        for (int i = 0; i < 4; i++)
        {
            float[] own = Smoothed(labels[i], 3, 0.1f), other = Smoothed(labels[3 - i], 3, 0.1f);
            for (int j = 0; j < 3; j++) Assert.Equal(lam * own[j] + (1 - lam) * other[j], t[i * 3 + j], 6);
            Assert.Equal(1.0, t[(i * 3)..(i * 3 + 3)].Sum(), 6);
        }
    }

    [Fact]
    public void CutMixPastesTheMirrorsBoxAndCorrectsLambdaToTheArea()
    {
        using var scope = Tensor.Scope();
        const int n = 4, c = 2, h = 10, w = 12;
        for (int seed = 0; seed < 20; seed++)
        {
            var x = Images(n, c, h, w);
            var before = x.ToArray();
            var r = new Mixup(5, mixupAlpha: 0, cutmixAlpha: 1.0, labelSmoothing: 0f).Apply(x, [0, 1, 2, 3], new Rng((ulong)seed));
            r.Targets.Dispose();
            // Replay timm's rand_bbox with the drawn lambda.
            var replay = new Rng((ulong)seed);
            replay.NextDouble();
            double lam0 = replay.Beta(1.0, 1.0);
            int cutH = (int)(h * Math.Sqrt(1 - lam0)), cutW = (int)(w * Math.Sqrt(1 - lam0));
            int cy = replay.NextInt(h), cx = replay.NextInt(w);
            var box = (Math.Clamp(cy - cutH / 2, 0, h), Math.Clamp(cy + cutH / 2, 0, h), Math.Clamp(cx - cutW / 2, 0, w), Math.Clamp(cx + cutW / 2, 0, w));
            Assert.True(r.CutMix);
            Assert.Equal(box, r.Box);
            var (top, bottom, left, right) = box;
            Assert.Equal(1.0 - (double)(bottom - top) * (right - left) / (h * w), r.Lambda, 12);
            var after = x.ToArray();
            for (int i = 0; i < n; i++)
                for (int ch = 0; ch < c; ch++)
                    for (int y = 0; y < h; y++)
                        for (int xx = 0; xx < w; xx++)
                        {
                            bool inside = y >= top && y < bottom && xx >= left && xx < right;
                            int src = inside ? n - 1 - i : i;
                            Assert.Equal(before[((src * c + ch) * h + y) * w + xx], after[((i * c + ch) * h + y) * w + xx]);
                        }
        }
    }

    [Fact]
    public void CutMixTargetsWeighTheLabelsByArea()
    {
        using var scope = Tensor.Scope();
        var x = Images(2, 1, 8, 8);
        var r = new Mixup(2, mixupAlpha: 0, cutmixAlpha: 1.0, labelSmoothing: 0f).Apply(x, [0, 1], new Rng(3));
        using var t = r.Targets;
        Assert.Equal(new[] { (float)r.Lambda, (float)(1 - r.Lambda), (float)(1 - r.Lambda), (float)r.Lambda }, t.ToArray());
    }

    [Fact]
    public void SwitchChoosesBetweenMixupAndCutmixAndProbZeroNeverMixes()
    {
        using var scope = Tensor.Scope();
        int cut = 0;
        for (int seed = 0; seed < 200; seed++)
        {
            var r = new Mixup(3).Apply(Images(2, 1, 4, 4), [0, 1], new Rng((ulong)seed));
            r.Targets.Dispose();
            if (r.CutMix) cut++;
        }
        Assert.InRange(cut, 60, 140);
        var x = Images(2, 1, 4, 4);
        var before = x.ToArray();
        var none = new Mixup(3, prob: 0, labelSmoothing: 0.1f).Apply(x, [2, 0], new Rng(1));
        using var targets = none.Targets;
        Assert.Equal(1.0, none.Lambda);
        Assert.Equal(before, x.ToArray());
        Assert.Equal(Smoothed(2, 3, 0.1f).Concat(Smoothed(0, 3, 0.1f)), targets.ToArray());
    }

    [Fact]
    public void SoftTargetsFeedCrossEntropy()
    {
        using var scope = Tensor.Scope();
        var r = new Mixup(4).Apply(Images(4, 1, 4, 4), [0, 1, 2, 3], new Rng(2));
        using var t = r.Targets;
        var loss = F.CrossEntropy(Tensor.Zeros([4, 4]), t);
        Assert.Equal(Math.Log(4), loss.Item(), 5);
    }

    [Fact]
    public void BadInputIsRejected()
    {
        using var scope = Tensor.Scope();
        var mix = new Mixup(3);
        Assert.Contains("3 labels", Assert.Throws<ArgumentException>(() => mix.Apply(Images(2, 1, 2, 2), [0, 1, 2], new Rng(0))).Message);
        Assert.Contains("label 3", Assert.Throws<ArgumentException>(() => mix.Apply(Images(2, 1, 2, 2), [0, 3], new Rng(0))).Message);
        Assert.Throws<ArgumentException>(() => new Mixup(3, prob: 1.5));
    }

    [Fact]
    public void BetaSamplesHaveTheBetaMeanAndVariance()
    {
        var rng = new Rng(11);
        foreach (var (a, b) in new[] { (0.8, 0.8), (1.0, 1.0), (0.2, 0.2), (2.0, 5.0) })
        {
            const int n = 40000;
            var s = Enumerable.Range(0, n).Select(_ => rng.Beta(a, b)).ToArray();
            double mean = s.Average(), variance = s.Select(v => (v - mean) * (v - mean)).Average();
            double eMean = a / (a + b), eVar = a * b / ((a + b) * (a + b) * (a + b + 1));
            // Six standard errors of the mean, and 10% of the variance.
            Assert.True(Math.Abs(mean - eMean) < 6 * Math.Sqrt(eVar / n), $"Beta({a}, {b}) mean {mean}, expected {eMean}");
            Assert.True(Math.Abs(variance - eVar) < 0.1 * eVar, $"Beta({a}, {b}) variance {variance}, expected {eVar}");
            Assert.All(s, v => Assert.InRange(v, 0.0, 1.0));
        }
    }
}
