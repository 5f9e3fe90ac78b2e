namespace ContextNets.Training;

/// <summary>
/// The segmentation scores from a confusion matrix over pixels (rows the true class, columns the predicted one), as
/// torchvision's segmentation reference and mmsegmentation count them: pixels labeled with the ignore index are left
/// out, pixel accuracy is the diagonal over the total, a class's IoU is TP / (TP + FP + FN), and the mean IoU is over
/// the classes that occur (in the labels or the predictions); a class that never occurs has no IoU (NaN) and is not
/// averaged, as mmsegmentation's nanmean.
/// </summary>
public sealed class ConfusionMatrix
{
    private readonly long[] _counts;

    public ConfusionMatrix(int classes, int ignoreIndex = 255)
    {
        if (classes < 1) throw new ArgumentException($"A confusion matrix needs at least one class, got {classes}.");
        Classes = classes;
        IgnoreIndex = ignoreIndex;
        _counts = new long[classes * classes];
    }

    public int Classes { get; }
    public int IgnoreIndex { get; }

    /// <summary>How many counted pixels of true class <paramref name="truth"/> were predicted as <paramref name="predicted"/>.</summary>
    public long this[int truth, int predicted] => _counts[truth * Classes + predicted];

    /// <summary>Counts one map: predictions and labels per pixel, the same length; labels equal to the ignore index are skipped.</summary>
    public void Add(ReadOnlySpan<int> predicted, ReadOnlySpan<int> labels)
    {
        if (predicted.Length != labels.Length)
            throw new ArgumentException($"{predicted.Length} predictions for {labels.Length} labels.");
        for (int i = 0; i < labels.Length; i++)
        {
            int t = labels[i];
            if (t == IgnoreIndex) continue;
            if ((uint)t >= (uint)Classes) throw new ArgumentException($"Label {t} at pixel {i} is outside [0, {Classes}) and is not the ignore index {IgnoreIndex}.");
            int p = predicted[i];
            if ((uint)p >= (uint)Classes) throw new ArgumentException($"Prediction {p} at pixel {i} is outside [0, {Classes}).");
            _counts[t * Classes + p]++;
        }
    }

    public long Total => _counts.Sum();

    /// <summary>Correct pixels over counted pixels (NaN with none counted).</summary>
    public double PixelAccuracy => Total == 0 ? double.NaN : (double)Enumerable.Range(0, Classes).Sum(c => this[c, c]) / Total;

    /// <summary>Per class, TP / (TP + FP + FN); NaN for a class absent from both labels and predictions.</summary>
    public double[] IoU()
    {
        var iou = new double[Classes];
        for (int c = 0; c < Classes; c++)
        {
            long truth = 0, predicted = 0;
            for (int k = 0; k < Classes; k++)
            {
                truth += this[c, k];
                predicted += this[k, c];
            }
            long union = truth + predicted - this[c, c];
            iou[c] = union == 0 ? double.NaN : (double)this[c, c] / union;
        }
        return iou;
    }

    /// <summary>The mean of the classes' IoUs that are defined (NaN when none is).</summary>
    public double MeanIoU
    {
        get
        {
            var defined = IoU().Where(v => !double.IsNaN(v)).ToArray();
            return defined.Length == 0 ? double.NaN : defined.Average();
        }
    }
}
