using System.Numerics;
using System.Runtime.CompilerServices;

namespace ContextNets.Attention;

/// <summary>
/// The float64 vector primitives of the criss-cross kernels on raw pointers. Their rows are short (C / 8 query
/// channels, H + W keys), where a span-based library call costs more than the arithmetic it does.
/// </summary>
internal static unsafe class DoubleVec
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static double Dot(double* a, double* b, int n)
    {
        int k = 0, step = Vector<double>.Count;
        var sum = Vector<double>.Zero;
        for (; k <= n - step; k += step) sum += Vector.Load(a + k) * Vector.Load(b + k);
        double total = Vector.Sum(sum);
        for (; k < n; k++) total += a[k] * b[k];
        return total;
    }

    /// <summary>y += a x.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Axpy(double* y, double a, double* x, int n)
    {
        int k = 0, step = Vector<double>.Count;
        var va = new Vector<double>(a);
        for (; k <= n - step; k += step) (Vector.Load(y + k) + va * Vector.Load(x + k)).Store(y + k);
        for (; k < n; k++) y[k] += a * x[k];
    }

    public static void Widen(float* src, double* dst, int n)
    {
        for (int k = 0; k < n; k++) dst[k] = src[k];
    }

    public static void Clear(double* p, int n) => new Span<double>(p, n).Clear();
}
