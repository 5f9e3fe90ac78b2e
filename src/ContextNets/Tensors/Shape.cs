using System.Collections;
using System.Runtime.CompilerServices;

namespace ContextNets;

/// <summary>An immutable list of dimension sizes, in logical (NCHW) order.</summary>
[CollectionBuilder(typeof(Shape), nameof(Create))]
public readonly struct Shape : IEquatable<Shape>, IReadOnlyList<int>
{
    private readonly int[]? _dims;

    public Shape(params ReadOnlySpan<int> dims)
    {
        foreach (int d in dims)
            if (d < 0) throw new ArgumentException($"Shape {Format(dims)} has a negative dimension.");
        _dims = dims.ToArray();
        // In double, so that a product past 2^63 cannot wrap around to a small count.
        double n = 1;
        foreach (int d in dims) n *= d;
        if (n > Array.MaxLength) throw new ArgumentException($"Shape {Format(dims)} has {n} elements, more than one tensor can hold.");
    }

    public static Shape Create(ReadOnlySpan<int> dims) => new(dims);

    public int Rank => _dims?.Length ?? 0;
    public int Count => Rank;
    public int this[int axis] => Dims[axis];
    public ReadOnlySpan<int> Dims => _dims;

    public int Numel
    {
        get
        {
            int n = 1;
            foreach (int d in Dims) n *= d;
            return n;
        }
    }

    /// <summary>Row-major (C order) strides, in elements.</summary>
    public int[] ContiguousStrides()
    {
        var strides = new int[Rank];
        int s = 1;
        for (int i = Rank - 1; i >= 0; i--)
        {
            strides[i] = s;
            s *= Dims[i];
        }
        return strides;
    }

    /// <summary>Resolves a negative axis and checks the range.</summary>
    public int Axis(int axis)
    {
        int a = axis < 0 ? axis + Rank : axis;
        if (a < 0 || a >= Rank) throw new ArgumentException($"Axis {axis} is out of range for shape {this}.");
        return a;
    }

    public Shape With(int axis, int size)
    {
        var d = Dims.ToArray();
        d[Axis(axis)] = size;
        return new Shape(d);
    }

    public bool Equals(Shape other) => Dims.SequenceEqual(other.Dims);
    public override bool Equals(object? obj) => obj is Shape s && Equals(s);
    public override int GetHashCode()
    {
        var h = new HashCode();
        foreach (int d in Dims) h.Add(d);
        return h.ToHashCode();
    }
    public static bool operator ==(Shape a, Shape b) => a.Equals(b);
    public static bool operator !=(Shape a, Shape b) => !a.Equals(b);
    public static implicit operator Shape(int[] dims) => new(dims);

    public IEnumerator<int> GetEnumerator() => ((IEnumerable<int>)(_dims ?? [])).GetEnumerator();
    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    public override string ToString() => Format(Dims);
    internal static string Format(ReadOnlySpan<int> dims) => "[" + string.Join(", ", dims.ToArray()) + "]";
}
