namespace ContextNets.Tests.Reference;

/// <summary>
/// A float64, row-major, plain-array tensor for the reference path: the
/// oracle that the fast kernels are tested against. It is written for
/// obviousness, never for speed.
/// </summary>
internal sealed class RefTensor
{
    public RefTensor(int[] shape, double[]? data = null)
    {
        Shape = shape;
        Data = data ?? new double[Numel(shape)];
        if (Data.Length != Numel(shape)) throw new ArgumentException($"{Data.Length} values for shape {ContextNets.Shape.Format(shape)}.");
    }

    public int[] Shape { get; }
    public double[] Data { get; }
    public int Rank => Shape.Length;
    public int Length => Data.Length;

    public static int Numel(int[] shape)
    {
        int n = 1;
        foreach (int d in shape) n *= d;
        return n;
    }

    public static RefTensor From(Tensor t) => new(t.Shape.Dims.ToArray(), Array.ConvertAll(t.ToArray(), v => (double)v));

    public Tensor ToTensor() => Tensor.FromArray(Array.ConvertAll(Data, v => (float)v), new Shape(Shape));

    public static RefTensor Random(int[] shape, int seed, double scale = 1.0)
    {
        var rng = new Random(seed);
        var t = new RefTensor(shape);
        // Values rounded to float32, so that both paths start from the same numbers.
        for (int i = 0; i < t.Length; i++) t.Data[i] = (float)((rng.NextDouble() * 2 - 1) * scale);
        return t;
    }

    public RefTensor Clone() => new(Shape, (double[])Data.Clone());

    public int Offset(params int[] idx)
    {
        int off = 0;
        for (int i = 0; i < Rank; i++) off = off * Shape[i] + idx[i];
        return off;
    }

    public double this[params int[] idx]
    {
        get => Data[Offset(idx)];
        set => Data[Offset(idx)] = value;
    }

    /// <summary>sum(this * other): the scalar whose gradient a backward pass with upstream <paramref name="other"/> computes.</summary>
    public double Dot(RefTensor other)
    {
        double s = 0;
        for (int i = 0; i < Length; i++) s += Data[i] * other.Data[i];
        return s;
    }
}
