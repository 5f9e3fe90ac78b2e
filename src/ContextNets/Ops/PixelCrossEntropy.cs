using ContextNets.Autograd;
using ContextNets.Backend.Managed;

namespace ContextNets;

public static partial class F
{
    /// <summary>
    /// Per-pixel cross-entropy of class scores [N, K, H, W] against a label map (N*H*W labels, row-major), as
    /// torch.nn.functional.cross_entropy(scores, labels, ignore_index=<paramref name="ignoreIndex"/>): the mean of
    /// -log softmax(scores)[label] over the pixels whose label is not <paramref name="ignoreIndex"/>. With every pixel
    /// ignored the mean is 0 / 0, NaN, as PyTorch's. Returns a scalar (shape []).
    /// </summary>
    public static Tensor PixelCrossEntropy(Tensor scores, int[] labels, int ignoreIndex = 255)
    {
        ArgumentNullException.ThrowIfNull(labels);
        if (scores.Rank != 4 || scores.Numel == 0)
            throw new ArgumentException($"pixel cross_entropy: scores must be a non-empty [N, K, H, W], got {scores.Shape}.");
        int k = scores.Shape[1];
        long pixels = (long)scores.Shape[0] * scores.Shape[2] * scores.Shape[3];
        if (labels.Length != pixels)
            throw new ArgumentException($"pixel cross_entropy: {labels.Length} labels for scores {scores.Shape} ({pixels} pixels).");
        for (int i = 0; i < labels.Length; i++)
            if (labels[i] != ignoreIndex && (uint)labels[i] >= (uint)k)
                throw new ArgumentException($"pixel cross_entropy: label {labels[i]} at pixel {i} is outside [0, {k}) and is not the ignore index {ignoreIndex}.");
        var target = (int[])labels.Clone();
        int counted = target.Count(l => l != ignoreIndex);
        double loss;
        using (var x = Materialize(scores, MemoryFormat.Contiguous))
            loss = PixelCrossEntropyKernels.Loss(x, target, ignoreIndex) / counted;
        var y = Tensor.Scalar((float)loss);
        if (!Tape.ShouldRecord(scores)) return y;
        return Tape.Record(y, "pixel_cross_entropy", [scores], gy =>
        {
            using var x = Materialize(scores, MemoryFormat.Contiguous);
            var gx = Tensor.Empty(scores.Shape);
            PixelCrossEntropyKernels.Backward(x, target, ignoreIndex, gy.Item() / counted, gx);
            return [gx];
        });
    }
}

/// <summary>
/// The per-pixel softmax cross-entropy over contiguous [N, K, H, W] scores, by rows of pixels: each row's loss is
/// summed in float64 into its own slot, and the slots are added in order, so that the sum does not depend on the
/// thread count.
/// </summary>
internal static unsafe class PixelCrossEntropyKernels
{
    public static double Loss(Tensor x, int[] labels, int ignore)
    {
        int n = x.Shape[0], k = x.Shape[1], h = x.Shape[2], w = x.Shape[3];
        var rows = new double[n * h];
        float* data = x.Data;
        Par.For(n * h, (long)w * k * 4, (begin, end) =>
        {
            for (int r = begin; r < end; r++)
            {
                double sum = 0;
                for (int c = 0; c < w; c++)
                {
                    int label = labels[r * w + c];
                    if (label == ignore) continue;
                    var (at, plane) = Pixel(r, c, h, w, k);
                    double max = double.NegativeInfinity;
                    for (int j = 0; j < k; j++) max = Math.Max(max, data[at + j * plane]);
                    double z = 0;
                    for (int j = 0; j < k; j++) z += Math.Exp(data[at + j * plane] - max);
                    sum += max + Math.Log(z) - data[at + label * plane];
                }
                rows[r] = sum;
            }
        });
        return rows.Sum();
    }

    /// <summary>gx = scale * (softmax - onehot(label)) at counted pixels, 0 at ignored ones.</summary>
    public static void Backward(Tensor x, int[] labels, int ignore, double scale, Tensor gx)
    {
        int n = x.Shape[0], k = x.Shape[1], h = x.Shape[2], w = x.Shape[3];
        float* data = x.Data, grad = gx.Data;
        Par.For(n * h, (long)w * k * 4, (begin, end) =>
        {
            var p = new double[k];
            for (int r = begin; r < end; r++)
            for (int c = 0; c < w; c++)
            {
                int label = labels[r * w + c];
                var (at, plane) = Pixel(r, c, h, w, k);
                if (label == ignore)
                {
                    for (int j = 0; j < k; j++) grad[at + j * plane] = 0f;
                    continue;
                }
                double max = double.NegativeInfinity, z = 0;
                for (int j = 0; j < k; j++) max = Math.Max(max, data[at + j * plane]);
                for (int j = 0; j < k; j++) z += p[j] = Math.Exp(data[at + j * plane] - max);
                for (int j = 0; j < k; j++) grad[at + j * plane] = (float)(scale * (p[j] / z - (j == label ? 1 : 0)));
            }
        });
    }

    /// <summary>The offset of class 0 at pixel (row r of the N*H rows, column c) and the distance between classes.</summary>
    private static (long At, long Plane) Pixel(int r, int c, int h, int w, int k)
    {
        int image = r / h, y = r % h;
        long plane = (long)h * w;
        return ((long)image * k * plane + (long)y * w + c, plane);
    }
}
