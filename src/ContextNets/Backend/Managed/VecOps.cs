using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace ContextNets.Backend.Managed;

/// <summary>
/// Small AVX-512 loops over one row of c floats (the channels of one
/// position), for kernels that call them once per position: no span set-up,
/// no dispatch, and optimized code from the first call. Without AVX-512 the
/// scalar tail does the whole row.
/// </summary>
internal static unsafe class VecOps
{
    private const MethodImplOptions Hot = MethodImplOptions.AggressiveOptimization;
    private const int W = 16;

    /// <summary>Where the vector loop over c floats ends: 0 without AVX-512, so that the scalar tail does it all.</summary>
    private static int VecEnd(int c) => Vector512.IsHardwareAccelerated ? c - c % W : 0;

    [MethodImpl(Hot)]
    public static float Dot(float* a, float* b, int c)
    {
        int i = 0, end = VecEnd(c);
        var s0 = Vector512<float>.Zero;
        var s1 = Vector512<float>.Zero;
        for (; i + 2 * W <= end; i += 2 * W)
        {
            s0 = Vector512.FusedMultiplyAdd(Vector512.Load(a + i), Vector512.Load(b + i), s0);
            s1 = Vector512.FusedMultiplyAdd(Vector512.Load(a + i + W), Vector512.Load(b + i + W), s1);
        }
        for (; i < end; i += W) s0 = Vector512.FusedMultiplyAdd(Vector512.Load(a + i), Vector512.Load(b + i), s0);
        float sum = Vector512.Sum(s0 + s1);
        for (; i < c; i++) sum += a[i] * b[i];
        return sum;
    }

    /// <summary>The dot product of two float rows summed in float64 (each product of floats is exact there).</summary>
    [MethodImpl(Hot)]
    public static double DotWide(float* a, float* b, int c)
    {
        int i = 0, end = VecEnd(c);
        var s0 = Vector512<double>.Zero;
        var s1 = Vector512<double>.Zero;
        for (; i < end; i += W)
        {
            var (al, ah) = Vector512.Widen(Vector512.Load(a + i));
            var (bl, bh) = Vector512.Widen(Vector512.Load(b + i));
            s0 = Vector512.FusedMultiplyAdd(al, bl, s0);
            s1 = Vector512.FusedMultiplyAdd(ah, bh, s1);
        }
        double sum = Vector512.Sum(s0 + s1);
        for (; i < c; i++) sum += (double)a[i] * b[i];
        return sum;
    }

    /// <summary>y += a * x with y in float64.</summary>
    [MethodImpl(Hot)]
    public static void AxpyWide(double* y, double a, float* x, int c)
    {
        int i = 0, end = VecEnd(c);
        var va = Vector512.Create(a);
        for (; i < end; i += W)
        {
            var (xl, xh) = Vector512.Widen(Vector512.Load(x + i));
            Vector512.FusedMultiplyAdd(xl, va, Vector512.Load(y + i)).Store(y + i);
            Vector512.FusedMultiplyAdd(xh, va, Vector512.Load(y + i + W / 2)).Store(y + i + W / 2);
        }
        for (; i < c; i++) y[i] += a * x[i];
    }

    /// <summary>y += a * x.</summary>
    [MethodImpl(Hot)]
    public static void Axpy(float* y, float a, float* x, int c)
    {
        int i = 0, end = VecEnd(c);
        var va = Vector512.Create(a);
        for (; i < end; i += W) Vector512.FusedMultiplyAdd(Vector512.Load(x + i), va, Vector512.Load(y + i)).Store(y + i);
        for (; i < c; i++) y[i] += a * x[i];
    }

    /// <summary>y *= a.</summary>
    [MethodImpl(Hot)]
    public static void Scale(float* y, float a, int c)
    {
        int i = 0, end = VecEnd(c);
        var va = Vector512.Create(a);
        for (; i < end; i += W) (Vector512.Load(y + i) * va).Store(y + i);
        for (; i < c; i++) y[i] *= a;
    }

    /// <summary>y += x.</summary>
    [MethodImpl(Hot)]
    public static void Add(float* y, float* x, int c)
    {
        int i = 0, end = VecEnd(c);
        for (; i < end; i += W) (Vector512.Load(y + i) + Vector512.Load(x + i)).Store(y + i);
        for (; i < c; i++) y[i] += x[i];
    }

    /// <summary>y += a * b, element by element.</summary>
    [MethodImpl(Hot)]
    public static void Fma(float* y, float* a, float* b, int c)
    {
        int i = 0, end = VecEnd(c);
        for (; i < end; i += W) Vector512.FusedMultiplyAdd(Vector512.Load(a + i), Vector512.Load(b + i), Vector512.Load(y + i)).Store(y + i);
        for (; i < c; i++) y[i] += a[i] * b[i];
    }

    /// <summary>y = x * scale + shift, scale null meaning 1 and shift null 0.</summary>
    [MethodImpl(Hot)]
    public static void MulAdd(float* y, float* x, float* scale, float* shift, int c)
    {
        int i = 0, end = VecEnd(c);
        if (scale == null)
        {
            for (; i < end; i += W) (Vector512.Load(x + i) + Vector512.Load(shift + i)).Store(y + i);
            for (; i < c; i++) y[i] = x[i] + shift[i];
        }
        else if (shift == null)
        {
            for (; i < end; i += W) (Vector512.Load(x + i) * Vector512.Load(scale + i)).Store(y + i);
            for (; i < c; i++) y[i] = x[i] * scale[i];
        }
        else
        {
            for (; i < end; i += W) Vector512.FusedMultiplyAdd(Vector512.Load(x + i), Vector512.Load(scale + i), Vector512.Load(shift + i)).Store(y + i);
            for (; i < c; i++) y[i] = x[i] * scale[i] + shift[i];
        }
    }

    /// <summary>gx = gy * scale + a g + dl w: gy null drops its term, scale null means 1, w null drops its term.</summary>
    [MethodImpl(Hot)]
    public static void GradRow(float* gx, float* gy, float* scale, float* g, float a, float* w, float dl, int c)
    {
        int i = 0, end = VecEnd(c);
        var va = Vector512.Create(a);
        var vdl = Vector512.Create(dl);
        for (; i < end; i += W)
        {
            var v = Vector512.Load(g + i) * va;
            if (w != null) v = Vector512.FusedMultiplyAdd(Vector512.Load(w + i), vdl, v);
            if (gy != null) v = scale == null ? v + Vector512.Load(gy + i) : Vector512.FusedMultiplyAdd(Vector512.Load(gy + i), Vector512.Load(scale + i), v);
            v.Store(gx + i);
        }
        for (; i < c; i++)
        {
            float v = g[i] * a;
            if (w != null) v += w[i] * dl;
            if (gy != null) v += scale == null ? gy[i] : gy[i] * scale[i];
            gx[i] = v;
        }
    }
}
