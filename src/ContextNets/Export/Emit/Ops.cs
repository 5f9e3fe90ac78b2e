namespace ContextNets.Export.Emit;

/// <summary>
/// The ONNX ops the emitters use, each computing its output's shape for the example input. Every op here means the
/// same in opsets 13 to 17 (ReduceSum takes its axes as an input from 13 on, ReduceMean as an attribute until 17).
/// A Reshape keeps the batch with 0 ("copy this dim"), so a graph with a symbolic batch runs at any batch size.
/// </summary>
internal static class Ops
{
    public static OnnxValue Unary(OnnxGraph g, string op, string scope, OnnxValue x) => g.Op(op, scope, x.Dims, [x.Name]);

    public static OnnxValue Relu(OnnxGraph g, string scope, OnnxValue x) => Unary(g, "Relu", scope, x);

    public static OnnxValue Sigmoid(OnnxGraph g, string scope, OnnxValue x) => Unary(g, "Sigmoid", scope, x);

    /// <summary>Add, Mul, Sub, Div with numpy broadcasting.</summary>
    public static OnnxValue Binary(OnnxGraph g, string op, string scope, OnnxValue a, OnnxValue b) =>
        g.Op(op, scope, Broadcast(a.Dims, b.Dims, op), [a.Name, b.Name]);

    /// <summary>x times a float32 scalar constant.</summary>
    public static OnnxValue Scale(OnnxGraph g, string scope, OnnxValue x, float factor) =>
        g.Op("Mul", scope, x.Dims, [x.Name, g.Scalar(factor)]);

    /// <summary>Reshape to <paramref name="dims"/> (the example's batch first), written as [0, dims[1..]] so the batch is copied from x.</summary>
    public static OnnxValue Reshape(OnnxGraph g, string scope, OnnxValue x, params int[] dims)
    {
        if (dims[0] != x.Dims[0] || Numel(dims) != Numel(x.Dims))
            throw new InvalidOperationException($"ONNX export at {scope}: cannot reshape {x.Shape} to {Shape.Format(dims)}.");
        long[] target = [0, .. dims.Skip(1).Select(d => (long)d)];
        return g.Op("Reshape", scope, dims, [x.Name, g.Int64s(target)]);
    }

    public static OnnxValue Transpose(OnnxGraph g, string scope, OnnxValue x, params int[] perm) =>
        g.Op("Transpose", scope, [.. perm.Select(p => x.Dims[p])], [x.Name], OnnxAttr.Ints("perm", [.. perm.Select(p => (long)p)]));

    /// <summary>Batched matrix product with numpy broadcasting of the batch dims.</summary>
    public static OnnxValue MatMul(OnnxGraph g, string scope, OnnxValue a, OnnxValue b)
    {
        int[] da = a.Dims, db = b.Dims;
        if (da.Length < 2 || db.Length < 2 || da[^1] != db[^2])
            throw new InvalidOperationException($"ONNX export at {scope}: MatMul of {a.Shape} and {b.Shape}.");
        int[] batch = Broadcast(da[..^2], db[..^2], "MatMul");
        return g.Op("MatMul", scope, [.. batch, da[^2], db[^1]], [a.Name, b.Name]);
    }

    public static OnnxValue Softmax(OnnxGraph g, string scope, OnnxValue x, int axis) =>
        g.Op("Softmax", scope, x.Dims, [x.Name], OnnxAttr.Int("axis", axis));

    public static OnnxValue ReduceSum(OnnxGraph g, string scope, OnnxValue x, int axis, bool keepDims) =>
        g.Op("ReduceSum", scope, Reduced(x.Dims, axis, keepDims), [x.Name, g.Int64s(axis)], OnnxAttr.Int("keepdims", keepDims ? 1 : 0));

    public static OnnxValue ReduceMean(OnnxGraph g, string scope, OnnxValue x, int axis, bool keepDims) =>
        g.Op("ReduceMean", scope, Reduced(x.Dims, axis, keepDims), [x.Name], OnnxAttr.Ints("axes", axis), OnnxAttr.Int("keepdims", keepDims ? 1 : 0));

    /// <summary>[N, C, H, W] to [N, C, 1, 1].</summary>
    public static OnnxValue GlobalAveragePool(OnnxGraph g, string scope, OnnxValue x) =>
        g.Op("GlobalAveragePool", scope, [x.Dims[0], x.Dims[1], 1, 1], [x.Name]);

    /// <summary>A square max pooling in floor mode.</summary>
    public static OnnxValue MaxPool(OnnxGraph g, string scope, OnnxValue x, int kernel, int stride, int padding)
    {
        int h = PooledSize(x.Dims[2], kernel, stride, padding, false), w = PooledSize(x.Dims[3], kernel, stride, padding, false);
        CheckPooled(scope, x, h, w, kernel);
        return g.Op("MaxPool", scope, [x.Dims[0], x.Dims[1], h, w], [x.Name],
            OnnxAttr.Ints("kernel_shape", kernel, kernel), OnnxAttr.Ints("strides", stride, stride), OnnxAttr.Ints("pads", padding, padding, padding, padding));
    }

    public static OnnxValue AveragePool(OnnxGraph g, string scope, OnnxValue x, int kernel, int stride, int padding, bool countIncludePad, bool ceilMode)
    {
        int h = PooledSize(x.Dims[2], kernel, stride, padding, ceilMode), w = PooledSize(x.Dims[3], kernel, stride, padding, ceilMode);
        CheckPooled(scope, x, h, w, kernel);
        return g.Op("AveragePool", scope, [x.Dims[0], x.Dims[1], h, w], [x.Name],
            OnnxAttr.Ints("kernel_shape", kernel, kernel), OnnxAttr.Ints("strides", stride, stride), OnnxAttr.Ints("pads", padding, padding, padding, padding),
            OnnxAttr.Int("count_include_pad", countIncludePad ? 1 : 0), OnnxAttr.Int("ceil_mode", ceilMode ? 1 : 0));
    }

    /// <summary>PyTorch's pooled size: in ceil mode the last window must start inside the input or its left padding.</summary>
    public static int PooledSize(int size, int kernel, int stride, int padding, bool ceilMode)
    {
        int span = size + 2 * padding - kernel;
        if (span < 0) return 0;
        int n = (ceilMode ? (span + stride - 1) / stride : span / stride) + 1;
        if (ceilMode && (n - 1) * stride >= size + padding) n--;
        return n;
    }

    private static void CheckPooled(string scope, OnnxValue x, int h, int w, int kernel)
    {
        if (h < 1 || w < 1) throw new ArgumentException($"ONNX export at {scope}: input {x.Shape} is too small for a {kernel}x{kernel} pooling.");
    }

    private static int[] Reduced(int[] dims, int axis, bool keepDims) =>
        keepDims ? [.. dims.Select((d, i) => i == axis ? 1 : d)] : [.. dims.Where((_, i) => i != axis)];

    private static int[] Broadcast(int[] a, int[] b, string op)
    {
        int rank = Math.Max(a.Length, b.Length);
        var r = new int[rank];
        for (int i = 0; i < rank; i++)
        {
            int da = i < rank - a.Length ? 1 : a[i - (rank - a.Length)], db = i < rank - b.Length ? 1 : b[i - (rank - b.Length)];
            if (da != db && da != 1 && db != 1)
                throw new InvalidOperationException($"ONNX export: {op} cannot broadcast {Shape.Format(a)} with {Shape.Format(b)}.");
            r[i] = Math.Max(da, db);
        }
        return r;
    }

    private static long Numel(int[] dims) => dims.Aggregate(1L, (a, d) => a * d);
}
