namespace ContextNets.Training;

/// <summary>Reading predictions out of logits [N, K] (any strides).</summary>
public static class Classification
{
    /// <summary>How many rows have their largest logit at the label (the first of equal maxima, as torch.argmax).</summary>
    public static unsafe int CountCorrect(Tensor logits, int[] labels)
    {
        if (logits.Rank != 2 || logits.Shape[0] != labels.Length)
            throw new ArgumentException($"CountCorrect needs logits [N, K] and N labels, got {logits.Shape} and {labels.Length}.");
        int n = logits.Shape[0], k = logits.Shape[1], correct = 0;
        long sn = logits.Strides[0], sk = logits.Strides[1];
        float* p = logits.Data;
        for (int i = 0; i < n; i++)
        {
            int best = 0;
            for (int j = 1; j < k; j++)
                if (p[i * sn + j * sk] > p[i * sn + best * sk]) best = j;
            if (best == labels[i]) correct++;
        }
        return correct;
    }

    /// <summary>The softmax of one row of logits, in double.</summary>
    public static unsafe double[] Softmax(Tensor logits, int row)
    {
        int k = logits.Shape[1];
        long sn = logits.Strides[0], sk = logits.Strides[1];
        float* p = logits.Data + row * sn;
        double max = double.NegativeInfinity;
        for (int j = 0; j < k; j++) max = Math.Max(max, p[j * sk]);
        var e = new double[k];
        double sum = 0;
        for (int j = 0; j < k; j++) sum += e[j] = Math.Exp(p[j * sk] - max);
        for (int j = 0; j < k; j++) e[j] /= sum;
        return e;
    }
}
