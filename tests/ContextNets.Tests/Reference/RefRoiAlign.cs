namespace ContextNets.Tests.Reference;

/// <summary>
/// RoIAlign written from torchvision's definition in float64, one sample at a time: the average over each bin of a
/// grid of bilinear samples, with aligned = false stretching boxes narrower than a pixel. Its backward is the same
/// sum transposed, so a finite-difference check of it also checks the sampling weights.
/// </summary>
internal static class RefRoiAlign
{
    public static RefTensor Forward(RefTensor x, double[][] rois, int pooled, double scale, int ratio, bool aligned)
    {
        int c = x.Shape[1];
        var y = new RefTensor([rois.Length, c, pooled, pooled]);
        Visit(x.Shape, rois, pooled, scale, ratio, aligned, (k, ch, ph, pw, offset, weight) =>
            y[k, ch, ph, pw] += weight * x.Data[offset]);
        return y;
    }

    public static RefTensor Backward(int[] xShape, RefTensor gy, double[][] rois, int pooled, double scale, int ratio, bool aligned)
    {
        var gx = new RefTensor(xShape);
        Visit(xShape, rois, pooled, scale, ratio, aligned, (k, ch, ph, pw, offset, weight) =>
            gx.Data[offset] += weight * gy[k, ch, ph, pw]);
        return gx;
    }

    /// <summary>Calls <paramref name="term"/> for every (output element, input element, weight) of the linear map.</summary>
    private static void Visit(int[] shape, double[][] rois, int pooled, double scale, int ratio, bool aligned,
        Action<int, int, int, int, int, double> term)
    {
        int channels = shape[1], h = shape[2], w = shape[3];
        double offset = aligned ? 0.5 : 0;
        for (int k = 0; k < rois.Length; k++)
        {
            var r = rois[k];
            int n = (int)r[0];
            double x1 = r[1] * scale - offset, y1 = r[2] * scale - offset;
            double rw = r[3] * scale - offset - x1, rh = r[4] * scale - offset - y1;
            if (!aligned) { rw = Math.Max(rw, 1); rh = Math.Max(rh, 1); }
            int gh = ratio > 0 ? ratio : (int)Math.Ceiling(rh / pooled), gw = ratio > 0 ? ratio : (int)Math.Ceiling(rw / pooled);
            double count = Math.Max(gh * gw, 1);
            for (int ch = 0; ch < channels; ch++)
                for (int ph = 0; ph < pooled; ph++)
                    for (int pw = 0; pw < pooled; pw++)
                        for (int iy = 0; iy < gh; iy++)
                            for (int ix = 0; ix < gw; ix++)
                            {
                                double y = y1 + ph * rh / pooled + (iy + 0.5) * rh / pooled / gh;
                                double x = x1 + pw * rw / pooled + (ix + 0.5) * rw / pooled / gw;
                                if (y < -1 || y > h || x < -1 || x > w) continue;
                                y = Math.Min(Math.Max(y, 0), h - 1);
                                x = Math.Min(Math.Max(x, 0), w - 1);
                                int y0 = (int)y, x0 = (int)x, yb = Math.Min(y0 + 1, h - 1), xb = Math.Min(x0 + 1, w - 1);
                                double ly = y - y0, lx = x - x0;
                                int plane = (n * channels + ch) * h * w;
                                term(k, ch, ph, pw, plane + y0 * w + x0, (1 - ly) * (1 - lx) / count);
                                term(k, ch, ph, pw, plane + y0 * w + xb, (1 - ly) * lx / count);
                                term(k, ch, ph, pw, plane + yb * w + x0, ly * (1 - lx) / count);
                                term(k, ch, ph, pw, plane + yb * w + xb, ly * lx / count);
                            }
        }
    }
}
