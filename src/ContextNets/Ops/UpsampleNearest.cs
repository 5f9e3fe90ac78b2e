using ContextNets.Autograd;

namespace ContextNets;

public static partial class F
{
    /// <summary>
    /// torch.nn.functional.interpolate(x, size, mode="nearest") for x [N, C, H, W]: output row i reads input row
    /// min(floor(i * H / outH), H - 1), the scale H / outH taken in float32 as PyTorch does, and likewise for columns.
    /// FPN uses it to bring a coarse level to the size of the next finer one, which need not be exactly twice.
    /// </summary>
    public static unsafe Tensor UpsampleNearest(Tensor x, int outH, int outW)
    {
        if (x.Rank != 4) throw new ArgumentException($"upsample_nearest: expected [N, C, H, W], got {x.Shape}.");
        if (outH < 1 || outW < 1) throw new ArgumentException($"upsample_nearest: the output size {outH}x{outW} must be positive.");
        int planes = x.Shape[0] * x.Shape[1], h = x.Shape[2], w = x.Shape[3];
        var rows = NearestSources(h, outH);
        var cols = NearestSources(w, outW);
        var y = Tensor.Empty([x.Shape[0], x.Shape[1], outH, outW]);
        using (var xs = Materialize(x, MemoryFormat.Contiguous))
            for (int p = 0; p < planes; p++)
                for (int i = 0; i < outH; i++)
                    for (int j = 0; j < outW; j++)
                        y.Data[((long)p * outH + i) * outW + j] = xs.Data[((long)p * h + rows[i]) * w + cols[j]];
        if (!Tape.ShouldRecord(x)) return y;
        return Tape.Record(y, "upsample_nearest", [x], gy =>
        {
            var gx = Tensor.Zeros(x.Shape);
            using var g = Materialize(gy, MemoryFormat.Contiguous);
            for (int p = 0; p < planes; p++)
                for (int i = 0; i < outH; i++)
                    for (int j = 0; j < outW; j++)
                        gx.Data[((long)p * h + rows[i]) * w + cols[j]] += g.Data[((long)p * outH + i) * outW + j];
            return [gx];
        });
    }

    private static int[] NearestSources(int input, int output)
    {
        float scale = (float)input / output;
        var source = new int[output];
        for (int i = 0; i < output; i++) source[i] = Math.Min((int)MathF.Floor(i * scale), input - 1);
        return source;
    }
}
