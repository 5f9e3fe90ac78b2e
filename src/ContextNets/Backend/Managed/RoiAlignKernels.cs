namespace ContextNets.Backend.Managed;

/// <summary>
/// RoIAlign as torchvision 0.14's CPU kernel computes it (roi_align_kernel.cpp), forward and backward side by side.
/// Every output bin averages a fixed grid of bilinear samples; the float arithmetic follows torchvision's order, so that
/// a box falling on a sample's edge lands on the same pixels. <c>aligned</c> false is the Mask R-CNN setting: no
/// half-pixel shift, and boxes narrower than one pixel stretched to one.
/// </summary>
internal static unsafe class RoiAlignKernels
{
    /// <summary>The geometry shared by every application: feature map [N, C, H, W], pooled size, sampling.</summary>
    public readonly record struct Geometry(int N, int C, int H, int W, int PooledH, int PooledW, float SpatialScale, int SamplingRatio, bool Aligned);

    /// <summary>
    /// x [N, C, H, W] contiguous, rois [K, 5] (batch index, x1, y1, x2, y2), y [K, C, PooledH, PooledW].
    /// </summary>
    public static void Forward(float* x, float* rois, int k, Geometry g, float* y)
    {
        float* xs = x, rs = rois, ys = y;
        Par.For(k, (long)g.C * g.PooledH * g.PooledW * 16, (begin, end) =>
        {
            var table = new SampleTable();
            for (int r = begin; r < end; r++)
            {
                var roi = Roi.Of(rs + r * 5, g);
                table.Fill(roi, g);
                float* plane0 = xs + (long)roi.Batch * g.C * g.H * g.W;
                for (int c = 0; c < g.C; c++)
                {
                    float* plane = plane0 + (long)c * g.H * g.W;
                    float* outPlane = ys + ((long)r * g.C + c) * g.PooledH * g.PooledW;
                    for (int bin = 0; bin < table.Bins; bin++)
                    {
                        float sum = 0f;
                        for (int i = table.Start[bin]; i < table.Start[bin + 1]; i++)
                        {
                            var s = table.Samples[i];
                            sum += s.W1 * plane[s.Y0 * g.W + s.X0] + s.W2 * plane[s.Y0 * g.W + s.X1]
                                 + s.W3 * plane[s.Y1 * g.W + s.X0] + s.W4 * plane[s.Y1 * g.W + s.X1];
                        }
                        outPlane[bin] = sum / roi.Count;
                    }
                }
            }
        });
    }

    /// <summary>
    /// Accumulates into gx [N, C, H, W] (zeroed by the caller) the gradient of the pooled gy [K, C, PooledH, PooledW].
    /// Runs over channels in parallel, so that two boxes of one image never write the same element at once.
    /// </summary>
    public static void Backward(float* gy, float* rois, int k, Geometry g, float* gx)
    {
        float* gys = gy, rs = rois, gxs = gx;
        Par.For(g.C, (long)k * g.PooledH * g.PooledW * 16, (begin, end) =>
        {
            var table = new SampleTable();
            for (int r = 0; r < k; r++)
            {
                var roi = Roi.Of(rs + r * 5, g);
                table.Fill(roi, g);
                for (int c = begin; c < end; c++)
                {
                    float* plane = gxs + ((long)roi.Batch * g.C + c) * g.H * g.W;
                    float* gPlane = gys + ((long)r * g.C + c) * g.PooledH * g.PooledW;
                    for (int bin = 0; bin < table.Bins; bin++)
                    {
                        float share = gPlane[bin] / roi.Count;
                        for (int i = table.Start[bin]; i < table.Start[bin + 1]; i++)
                        {
                            var s = table.Samples[i];
                            plane[s.Y0 * g.W + s.X0] += share * s.W1;
                            plane[s.Y0 * g.W + s.X1] += share * s.W2;
                            plane[s.Y1 * g.W + s.X0] += share * s.W3;
                            plane[s.Y1 * g.W + s.X1] += share * s.W4;
                        }
                    }
                }
            }
        });
    }

    /// <summary>
    /// One box's samples inside the map, bin by bin (row-major) in grid order. The sample positions depend on the box
    /// alone, so they are computed once per box instead of once per channel; each channel then sums the same terms in
    /// the same order as computing them in place would, to the bit.
    /// </summary>
    private sealed class SampleTable
    {
        public Sample[] Samples = [];
        public int[] Start = [];
        public int Bins;

        public void Fill(in Roi roi, Geometry g)
        {
            Bins = g.PooledH * g.PooledW;
            if (Start.Length < Bins + 1) Start = new int[Bins + 1];
            int capacity = Bins * roi.GridH * roi.GridW;
            if (Samples.Length < capacity) Samples = new Sample[capacity];
            int n = 0;
            for (int ph = 0; ph < g.PooledH; ph++)
                for (int pw = 0; pw < g.PooledW; pw++)
                {
                    Start[ph * g.PooledW + pw] = n;
                    for (int iy = 0; iy < roi.GridH; iy++)
                        for (int ix = 0; ix < roi.GridW; ix++)
                        {
                            var s = Bilinear(roi, ph, pw, iy, ix, g);
                            if (s.Inside) Samples[n++] = s;
                        }
                }
            Start[Bins] = n;
        }
    }

    /// <summary>One box in feature coordinates with its bin sizes and its sampling grid.</summary>
    private readonly record struct Roi(int Batch, float StartW, float StartH, float BinW, float BinH, int GridH, int GridW, float Count)
    {
        public static Roi Of(float* r, Geometry g)
        {
            float offset = g.Aligned ? 0.5f : 0f;
            float startW = r[1] * g.SpatialScale - offset, startH = r[2] * g.SpatialScale - offset;
            float endW = r[3] * g.SpatialScale - offset, endH = r[4] * g.SpatialScale - offset;
            float width = endW - startW, height = endH - startH;
            if (!g.Aligned)
            {
                width = MathF.Max(width, 1f);
                height = MathF.Max(height, 1f);
            }
            float binH = height / g.PooledH, binW = width / g.PooledW;
            int gridH = g.SamplingRatio > 0 ? g.SamplingRatio : (int)MathF.Ceiling(height / g.PooledH);
            int gridW = g.SamplingRatio > 0 ? g.SamplingRatio : (int)MathF.Ceiling(width / g.PooledW);
            return new Roi((int)r[0], startW, startH, binW, binH, gridH, gridW, MathF.Max(gridH * gridW, 1));
        }
    }

    /// <summary>The four neighbours of one sample and their weights; outside the map (beyond one pixel) it adds nothing.</summary>
    private readonly record struct Sample(bool Inside, int Y0, int Y1, int X0, int X1, float W1, float W2, float W3, float W4);

    private static Sample Bilinear(in Roi roi, int ph, int pw, int iy, int ix, Geometry g)
    {
        float y = roi.StartH + ph * roi.BinH + (iy + 0.5f) * roi.BinH / roi.GridH;
        float x = roi.StartW + pw * roi.BinW + (ix + 0.5f) * roi.BinW / roi.GridW;
        if (y < -1f || y > g.H || x < -1f || x > g.W) return default;
        if (y <= 0) y = 0;
        if (x <= 0) x = 0;
        int y0 = (int)y, x0 = (int)x, y1, x1;
        if (y0 >= g.H - 1) { y1 = y0 = g.H - 1; y = y0; }
        else y1 = y0 + 1;
        if (x0 >= g.W - 1) { x1 = x0 = g.W - 1; x = x0; }
        else x1 = x0 + 1;
        float ly = y - y0, lx = x - x0, hy = 1f - ly, hx = 1f - lx;
        return new Sample(true, y0, y1, x0, x1, hy * hx, hy * lx, ly * hx, ly * lx);
    }
}
