using System.Numerics.Tensors;

namespace ContextNets.Models.Inference;

/// <summary>
/// Int8 calibration: the f32 model runs on the calibration images while every folded conv's input is watched, and
/// each input gets a per-tensor scale: u8 when it never went negative (it follows a ReLU), symmetric s8 otherwise.
/// Min-max takes the largest magnitude; the percentile method takes a percentile of the magnitudes from a
/// 2048-bin histogram over [0, max] filled in a second pass, and the entropy method the range whose 8-bit
/// quantization of that histogram loses the least information (<see cref="EntropyCalibration"/>). All are
/// deterministic: the same images give the same scales.
/// </summary>
internal static class Calibration
{
    private const int Bins = 2048;

    /// <summary>Refuses what cannot calibrate: no images, the wrong shape, or values that are not finite.</summary>
    public static void Validate(Tensor? images, int inChannels)
    {
        if (images is null || images.Rank != 4 || images.Shape[0] == 0)
            throw new ArgumentException($"Int8 needs calibration images [N, {inChannels}, H, W] with N >= 1 (InferenceOptions.Calibration){(images is null ? "" : $", got {images.Shape}")}.");
        if (images.Shape[1] != inChannels)
            throw new ArgumentException($"Calibration images must have {inChannels} channels, got {images.Shape}.");
        var values = images.ToArray();
        int bad = Array.FindIndex(values, v => !float.IsFinite(v));
        if (bad >= 0) throw new ArgumentException($"Calibration images contain a value that is not finite ({values[bad]} at element {bad}).");
    }

    /// <summary>Each conv's input quantization, in <paramref name="convs"/>' order.</summary>
    public static ActivationQuantization[] Scales(Func<Tensor, Tensor> predict, IReadOnlyList<FoldedConv> convs, Tensor images, InferenceOptions options)
    {
        var index = convs.Select((c, i) => (c, i)).ToDictionary(p => p.c, p => p.i);
        var min = new float[convs.Count];
        var max = new float[convs.Count];
        Array.Fill(min, float.PositiveInfinity);
        Array.Fill(max, float.NegativeInfinity);
        Watch(predict, convs, images, options.CalibrationBatchSize, (conv, x) =>
        {
            var v = x.ToArray();
            int i = index[conv];
            min[i] = Math.Min(min[i], TensorPrimitives.Min(v));
            max[i] = Math.Max(max[i], TensorPrimitives.Max(v));
        });
        var top = new float[convs.Count];
        for (int i = 0; i < top.Length; i++) top[i] = Math.Max(Math.Abs(min[i]), Math.Abs(max[i]));
        if (options.Method == CalibrationMethod.Percentile && !(options.Percentile is > 0 and <= 100))
            throw new ArgumentException($"The calibration percentile must lie in (0, 100], not {options.Percentile}.");
        var histograms = options.Method == CalibrationMethod.MinMax ? null : Histograms(predict, convs, index, images, options, top);
        var result = new ActivationQuantization[convs.Count];
        for (int i = 0; i < result.Length; i++)
        {
            bool unsigned = min[i] >= 0;
            if (histograms is not null && top[i] > 0)
            {
                int kept = options.Method == CalibrationMethod.Percentile
                    ? PercentileBins(histograms[i], options.Percentile)
                    : EntropyCalibration.KeptBins(histograms[i], (unsigned ? 255 : 127) + 1);
                top[i] = top[i] * kept / Bins;
            }
            result[i] = new ActivationQuantization(top[i] > 0 ? top[i] / (unsigned ? 255 : 127) : 1f, unsigned);
        }
        return result;
    }

    /// <summary>Per conv, the histogram of |x| in <see cref="Bins"/> bins over [0, max |x|], filled in a second pass.</summary>
    private static long[][] Histograms(Func<Tensor, Tensor> predict, IReadOnlyList<FoldedConv> convs, Dictionary<FoldedConv, int> index,
        Tensor images, InferenceOptions options, float[] maxAbs)
    {
        var histograms = new long[convs.Count][];
        for (int i = 0; i < histograms.Length; i++) histograms[i] = new long[Bins];
        Watch(predict, convs, images, options.CalibrationBatchSize, (conv, x) =>
        {
            int i = index[conv];
            if (maxAbs[i] == 0) return;
            var h = histograms[i];
            float perBin = Bins / maxAbs[i];
            foreach (float v in x.ToArray()) h[Math.Min(Bins - 1, (int)(Math.Abs(v) * perBin))]++;
        });
        return histograms;
    }

    /// <summary>How many of the lowest bins hold <paramref name="percentile"/> % of the values: the range ends at their top edge.</summary>
    private static int PercentileBins(long[] histogram, double percentile)
    {
        long total = histogram.Sum(), wanted = (long)Math.Ceiling(total * percentile / 100), seen = 0;
        int bin = 0;
        while (bin < Bins - 1 && (seen += histogram[bin]) < wanted) bin++;
        return bin + 1;
    }

    /// <summary>Runs the model over the images in batches with <paramref name="observe"/> watching every conv's input.</summary>
    public static void Watch(Func<Tensor, Tensor> predict, IReadOnlyList<FoldedConv> convs, Tensor images, int batchSize, Action<FoldedConv, Tensor> observe)
    {
        if (batchSize < 1) throw new ArgumentException($"The calibration batch size must be at least 1, not {batchSize}.");
        foreach (var c in convs) c.Observer = observe;
        try
        {
            for (int start = 0; start < images.Shape[0]; start += batchSize)
            {
                using var scope = Tensor.Scope();
                using var batch = F.Slice(images, 0, start, Math.Min(batchSize, images.Shape[0] - start));
                predict(batch).Dispose();
            }
        }
        finally
        {
            foreach (var c in convs) c.Observer = null;
        }
    }
}
