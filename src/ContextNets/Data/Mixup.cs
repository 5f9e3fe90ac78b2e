namespace ContextNets.Data;

/// <summary>What a batch-level mix did: the soft targets [N, K] (owned by the caller), the label weight lambda, and the cutmix box if any.</summary>
public sealed record MixResult(Tensor Targets, double Lambda, bool CutMix, (int top, int bottom, int left, int right)? Box);

/// <summary>
/// Mixup (Zhang et al. 2018) and CutMix (Yun et al. 2019) over a whole
/// batch, as timm's Mixup in 'batch' mode: each sample i is mixed with sample
/// N-1-i (the batch flipped). With probability <c>prob</c> a batch is mixed;
/// when both alphas are set, cutmix is chosen with probability
/// <c>switchProb</c>; lambda ~ Beta(alpha, alpha). Mixup: x = lam x + (1 - lam) x_flip.
/// CutMix pastes a box of the flipped batch, with sides int(H sqrt(1 - lam)) and
/// int(W sqrt(1 - lam)) around a uniform center, clipped, and lambda corrected to
/// 1 - box area / image area. The targets are lam y + (1 - lam) y_flip with
/// label-smoothed one-hot rows (off = eps / K, on = 1 - eps + off), ready for
/// F.CrossEntropy(logits, targets). The images are changed in place.
/// </summary>
public sealed class Mixup
{
    public Mixup(int numClasses, double mixupAlpha = 0.8, double cutmixAlpha = 1.0, double prob = 1.0, double switchProb = 0.5, float labelSmoothing = 0.1f)
    {
        if (numClasses < 1) throw new ArgumentException($"Mixup needs at least one class, got {numClasses}.");
        if (mixupAlpha < 0 || cutmixAlpha < 0 || !(prob is >= 0 and <= 1) || !(switchProb is >= 0 and <= 1) || !(labelSmoothing is >= 0f and <= 1f))
            throw new ArgumentException($"Mixup: alphas must be >= 0 and prob, switchProb, labelSmoothing in [0, 1] (got {mixupAlpha}, {cutmixAlpha}, {prob}, {switchProb}, {labelSmoothing}).");
        NumClasses = numClasses;
        MixupAlpha = mixupAlpha;
        CutmixAlpha = cutmixAlpha;
        Prob = prob;
        SwitchProb = switchProb;
        LabelSmoothing = labelSmoothing;
    }

    public int NumClasses { get; }
    public double MixupAlpha { get; }
    public double CutmixAlpha { get; }
    public double Prob { get; }
    public double SwitchProb { get; }
    public float LabelSmoothing { get; }

    /// <summary>Mixes images [N, C, H, W] (any layout) in place and returns the soft targets.</summary>
    public MixResult Apply(Tensor images, int[] labels, Rng rng)
    {
        if (images.Rank != 4 || images.Shape[0] != labels.Length)
            throw new ArgumentException($"Mixup needs images [N, C, H, W] and N labels, got images {images.Shape} and {labels.Length} labels.");
        foreach (var y in labels)
            if ((uint)y >= (uint)NumClasses) throw new ArgumentException($"Mixup: label {y} is outside [0, {NumClasses}).");
        var (lam, cutmix) = Draw(rng);
        (int, int, int, int)? box = null;
        if (lam < 1.0)
        {
            if (cutmix)
            {
                var b = Box(images.Shape[2], images.Shape[3], lam, rng);
                box = b;
                lam = 1.0 - (double)(b.bottom - b.top) * (b.right - b.left) / (images.Shape[2] * images.Shape[3]);
                PasteFlipped(images, b);
            }
            else Blend(images, lam);
        }
        return new MixResult(Targets(labels, lam), lam, cutmix && box is not null, box);
    }

    private (double lam, bool cutmix) Draw(Rng rng)
    {
        bool mixup = MixupAlpha > 0, cut = CutmixAlpha > 0;
        if (!(mixup || cut) || !(rng.NextDouble() < Prob)) return (1.0, false);
        bool useCut = mixup && cut ? rng.NextDouble() < SwitchProb : cut;
        double alpha = useCut ? CutmixAlpha : MixupAlpha;
        return (rng.Beta(alpha, alpha), useCut);
    }

    /// <summary>timm's rand_bbox (no margin): the box [top, bottom) x [left, right).</summary>
    internal static (int top, int bottom, int left, int right) Box(int h, int w, double lam, Rng rng)
    {
        double ratio = Math.Sqrt(1 - lam);
        int cutH = (int)(h * ratio), cutW = (int)(w * ratio);
        int cy = rng.NextInt(h), cx = rng.NextInt(w);
        return (Math.Clamp(cy - cutH / 2, 0, h), Math.Clamp(cy + cutH / 2, 0, h), Math.Clamp(cx - cutW / 2, 0, w), Math.Clamp(cx + cutW / 2, 0, w));
    }

    private static void Blend(Tensor x, double lam) => ForPairs(x, 0, x.Shape[2], 0, x.Shape[3], (float)lam, (float)(1.0 - lam), swap: false);

    private static void PasteFlipped(Tensor x, (int top, int bottom, int left, int right) box) =>
        ForPairs(x, box.top, box.bottom, box.left, box.right, 0f, 0f, swap: true);

    /// <summary>
    /// For samples i and N-1-i (i below the middle), inside the box and in every channel: swaps the values, or
    /// sets each to a * itself + b * the other (in float32, as timm's x.mul_(lam).add_(x.flip(0).mul_(1 - lam))).
    /// </summary>
    private static unsafe void ForPairs(Tensor x, int top, int bottom, int left, int right, float a, float b, bool swap)
    {
        int n = x.Shape[0], c = x.Shape[1];
        var s = x.Strides;
        long sn = s[0], sc = s[1], sh = s[2], sw = s[3];
        float* data = x.Data;
        for (int i = 0; i < n / 2; i++)
        {
            float* pa = data + i * sn, pb = data + (n - 1 - i) * sn;
            for (int ch = 0; ch < c; ch++)
                for (int y = top; y < bottom; y++)
                    for (int xx = left; xx < right; xx++)
                    {
                        long off = ch * sc + y * sh + xx * sw;
                        float u = pa[off], v = pb[off];
                        pa[off] = swap ? v : u * a + v * b;
                        pb[off] = swap ? u : v * a + u * b;
                    }
        }
        x.Touch();
    }

    private unsafe Tensor Targets(int[] labels, double lam)
    {
        int n = labels.Length, k = NumClasses;
        double off = LabelSmoothing / (double)k, on = 1.0 - LabelSmoothing + off;
        var t = Tensor.EmptyUnscoped(new Shape(n, k));
        float* p = t.Data;
        for (int i = 0; i < n; i++)
        {
            int a = labels[i], b = labels[n - 1 - i];
            for (int j = 0; j < k; j++)
                p[i * k + j] = (float)(lam * (j == a ? on : off) + (1 - lam) * (j == b ? on : off));
        }
        return t;
    }
}
