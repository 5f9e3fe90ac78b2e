using System.Numerics;
using System.Numerics.Tensors;

namespace ContextNets.Backend.Managed;

/// <summary>
/// Element-wise activations and their gradients over spans in memory order.
/// All operands of one call share a layout, so the position in memory is
/// the same element in each.
/// </summary>
internal static unsafe class ActivationKernels
{
    public static void Relu(Tensor x, Tensor y) =>
        Chunks(x.Numel, x.Data, null, y.Data, static (a, _, o) => TensorPrimitives.Max(a, 0f, o));

    public static void Sigmoid(Tensor x, Tensor y) =>
        Chunks(x.Numel, x.Data, null, y.Data, static (a, _, o) => TensorPrimitives.Sigmoid(a, o));

    public static void Sqrt(Tensor x, Tensor y) =>
        Chunks(x.Numel, x.Data, null, y.Data, static (a, _, o) => TensorPrimitives.Sqrt(a, o));

    /// <summary>gx = gy / (2 sqrt(x)), from the saved output (infinite at 0, as PyTorch's).</summary>
    public static void SqrtBackward(Tensor y, Tensor gy, Tensor gx) =>
        Chunks(y.Numel, y.Data, gy.Data, gx.Data, static (r, g, o) =>
        {
            TensorPrimitives.Divide(g, r, o);
            TensorPrimitives.Multiply(o, 0.5f, o);
        });

    /// <summary>gx = gy where the output is positive, else 0 (PyTorch's choice of 0 at the kink).</summary>
    public static void ReluBackward(Tensor y, Tensor gy, Tensor gx) =>
        Chunks(y.Numel, y.Data, gy.Data, gx.Data, static (v, g, o) =>
        {
            int i = 0;
            for (; i <= v.Length - Vector<float>.Count; i += Vector<float>.Count)
            {
                var keep = Vector.GreaterThan(new Vector<float>(v[i..]), Vector<float>.Zero);
                Vector.ConditionalSelect(keep, new Vector<float>(g[i..]), Vector<float>.Zero).CopyTo(o[i..]);
            }
            for (; i < v.Length; i++) o[i] = v[i] > 0 ? g[i] : 0f;
        });

    /// <summary>x where positive, else slope * x (inplace_abn's leaky_relu, slope 0.01 by default).</summary>
    public static void LeakyRelu(Tensor x, Tensor y, float slope) =>
        Chunks(x.Numel, x.Data, null, y.Data, (a, _, o) =>
        {
            for (int i = 0; i < a.Length; i++) o[i] = a[i] > 0 ? a[i] : slope * a[i];
        });

    /// <summary>gx = gy where the output is positive, else slope * gy: a positive slope keeps the sign, so y tells the side.</summary>
    public static void LeakyReluBackward(Tensor y, Tensor gy, Tensor gx, float slope) =>
        Chunks(y.Numel, y.Data, gy.Data, gx.Data, (v, g, o) =>
        {
            for (int i = 0; i < v.Length; i++) o[i] = v[i] > 0 ? g[i] : slope * g[i];
        });

    /// <summary>gx = gy * s * (1 - s), from the saved output s.</summary>
    public static void SigmoidBackward(Tensor y, Tensor gy, Tensor gx) =>
        Chunks(y.Numel, y.Data, gy.Data, gx.Data, static (s, g, o) =>
        {
            int i = 0;
            for (; i <= s.Length - Vector<float>.Count; i += Vector<float>.Count)
            {
                var v = new Vector<float>(s[i..]);
                (new Vector<float>(g[i..]) * v * (Vector<float>.One - v)).CopyTo(o[i..]);
            }
            for (; i < s.Length; i++) o[i] = g[i] * s[i] * (1f - s[i]);
        });

    private delegate void Body(ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> o);

    private static void Chunks(int n, float* a, float* b, float* o, Body body) =>
        Par.For(n, 1, (begin, end) =>
        {
            int len = end - begin;
            body(new ReadOnlySpan<float>(a + begin, len), b == null ? default : new ReadOnlySpan<float>(b + begin, len), new Span<float>(o + begin, len));
        });
}
