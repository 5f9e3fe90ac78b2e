using System.Numerics;

namespace ContextNets.Backend.Managed;

/// <summary>
/// Float32 rows summed into float64 accumulators, at SIMD width: each float vector is widened into two double
/// vectors before it is added, and a product of two floats is exact in double. For the reductions whose terms nearly
/// cancel (BatchNorm's weight and bias gradients, softmax backward sums), where float32 partial sums lose the result.
/// </summary>
internal static class WideningSum
{
    /// <summary>acc[k] += x[k].</summary>
    public static void Add(Span<double> acc, ReadOnlySpan<float> x)
    {
        int k = 0, step = Vector<float>.Count, half = Vector<double>.Count;
        for (; k <= x.Length - step; k += step)
        {
            Vector.Widen(new Vector<float>(x[k..]), out var low, out var high);
            (new Vector<double>(acc[k..]) + low).CopyTo(acc[k..]);
            (new Vector<double>(acc[(k + half)..]) + high).CopyTo(acc[(k + half)..]);
        }
        for (; k < x.Length; k++) acc[k] += x[k];
    }

    /// <summary>acc[k] += a[k] b[k], the product taken in double.</summary>
    public static void MultiplyAdd(Span<double> acc, ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        int k = 0, step = Vector<float>.Count, half = Vector<double>.Count;
        for (; k <= a.Length - step; k += step)
        {
            Vector.Widen(new Vector<float>(a[k..]), out var aLow, out var aHigh);
            Vector.Widen(new Vector<float>(b[k..]), out var bLow, out var bHigh);
            (new Vector<double>(acc[k..]) + aLow * bLow).CopyTo(acc[k..]);
            (new Vector<double>(acc[(k + half)..]) + aHigh * bHigh).CopyTo(acc[(k + half)..]);
        }
        for (; k < a.Length; k++) acc[k] += (double)a[k] * b[k];
    }

    /// <summary>The dot product of two float rows, accumulated in double.</summary>
    public static double Dot(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        var sum = Vector<double>.Zero;
        int k = 0, step = Vector<float>.Count;
        for (; k <= a.Length - step; k += step)
        {
            Vector.Widen(new Vector<float>(a[k..]), out var aLow, out var aHigh);
            Vector.Widen(new Vector<float>(b[k..]), out var bLow, out var bHigh);
            sum += aLow * bLow + aHigh * bHigh;
        }
        double total = Vector.Sum(sum);
        for (; k < a.Length; k++) total += (double)a[k] * b[k];
        return total;
    }
}
