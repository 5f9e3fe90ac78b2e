using ContextNets.Autograd;

namespace ContextNets;

/// <summary>
/// A float32 tensor in native, 64-byte aligned memory. The shape is logical
/// (NCHW for images); the strides say how the elements lie, which is either
/// row-major or, for 4-D activations, channels-last. Every tensor is dense: its
/// elements fill one block of memory with no gaps.
/// A tensor is owned by the innermost <see cref="TensorScope"/> open when it
/// was made, or by its creator when there is none; either way its memory is
/// freed by Dispose, never by a finalizer.
/// </summary>
public sealed unsafe partial class Tensor : IDisposable
{
    private NativeBuffer? _buffer;
    private readonly int _offset;
    private readonly int[] _strides;

    private Tensor(NativeBuffer buffer, int offset, Shape shape, int[] strides, bool scoped)
    {
        _buffer = buffer;
        _offset = offset;
        Shape = shape;
        _strides = strides;
        if (scoped) TensorScope.Current?.Add(this);
    }

    public Shape Shape { get; }
    public int Rank => Shape.Rank;
    public int Numel => Shape.Numel;
    public ReadOnlySpan<int> Strides => _strides;

    /// <summary>Bumped by every in-place update, so that caches derived from the values (reordered weights) know they are stale.</summary>
    public int Version { get; private set; }

    public bool IsDisposed => _buffer is null;

    internal float* Data
    {
        get
        {
            var b = _buffer ?? throw new ObjectDisposedException(nameof(Tensor), $"A tensor of shape {Shape} was used after it was disposed.");
            return b.Pointer + _offset;
        }
    }

    /// <summary>The elements in memory order (which is logical order only when <see cref="IsContiguous"/>).</summary>
    internal Span<float> Span => new(Data, Numel);

    /// <summary>True when memory order equals logical row-major order (dimensions of size 1 do not count).</summary>
    public bool IsContiguous => HasStrides(Shape.ContiguousStrides());

    public MemoryFormat Format =>
        Rank is 4 or 5 && !IsContiguous && HasStrides(ChannelsLastStrides(Shape)) ? MemoryFormat.ChannelsLast : MemoryFormat.Contiguous;

    /// <summary>True when the elements lie as <paramref name="format"/> would lay them out (size-1 dimensions do not count), e.g. [N, C, 1, 1] is both.</summary>
    public bool IsIn(MemoryFormat format) =>
        format == MemoryFormat.Contiguous ? IsContiguous : Rank is 4 or 5 && HasStrides(ChannelsLastStrides(Shape));

    internal bool HasStrides(ReadOnlySpan<int> strides)
    {
        for (int i = 0; i < Rank; i++)
            if (Shape[i] != 1 && _strides[i] != strides[i]) return false;
        return true;
    }

    /// <summary>True when both tensors have the same shape and the same element order in memory.</summary>
    internal bool SameLayout(Tensor other) => Shape == other.Shape && HasStrides(other._strides);

    // ---------------------------------------------------------------- creation

    internal static int[] StridesFor(Shape shape, MemoryFormat format)
    {
        if (format == MemoryFormat.Contiguous) return shape.ContiguousStrides();
        if (shape.Rank is not (4 or 5)) throw new ArgumentException($"Channels-last needs a 4-D or 5-D shape, not {shape}.");
        return ChannelsLastStrides(shape);
    }

    // 4-D: N,H,W,C in memory; 5-D (clips): N,D,H,W,C, PyTorch's channels_last_3d.
    private static int[] ChannelsLastStrides(Shape s) => s.Rank == 5
        ? [s[1] * s[2] * s[3] * s[4], 1, s[3] * s[4] * s[1], s[4] * s[1], s[1]]
        : [s[1] * s[2] * s[3], 1, s[3] * s[1], s[1]];

    /// <summary>An uninitialized tensor.</summary>
    public static Tensor Empty(Shape shape, MemoryFormat format = MemoryFormat.Contiguous) =>
        new(new NativeBuffer(shape.Numel), 0, shape, StridesFor(shape, format), scoped: true);

    /// <summary>A tensor outside any scope: parameters, gradients and optimizer state live this way.</summary>
    internal static Tensor EmptyUnscoped(Shape shape, MemoryFormat format = MemoryFormat.Contiguous) =>
        new(new NativeBuffer(shape.Numel), 0, shape, StridesFor(shape, format), scoped: false);

    /// <summary>An uninitialized tensor with the same shape and memory order as this one.</summary>
    internal Tensor EmptyLike() => new(new NativeBuffer(Numel), 0, Shape, DenseStridesLike(), scoped: true);

    /// <summary>Strides of the same physical order as ours, with the gaps of size-1 dimensions closed.</summary>
    private int[] DenseStridesLike()
    {
        if (IsContiguous) return Shape.ContiguousStrides();
        if (Format == MemoryFormat.ChannelsLast) return ChannelsLastStrides(Shape);
        return (int[])_strides.Clone();
    }

    public static Tensor Zeros(Shape shape, MemoryFormat format = MemoryFormat.Contiguous) => Full(shape, 0f, format);
    public static Tensor Ones(Shape shape) => Full(shape, 1f);

    public static Tensor Full(Shape shape, float value, MemoryFormat format = MemoryFormat.Contiguous)
    {
        var t = Empty(shape, format);
        t.Span.Fill(value);
        return t;
    }

    public static Tensor Scalar(float value) => Full(new Shape(), value);

    /// <summary>A new tensor of <paramref name="shape"/> holding a copy of <paramref name="values"/>, given in logical row-major order.</summary>
    public static Tensor FromArray(ReadOnlySpan<float> values, Shape shape)
    {
        if (values.Length != shape.Numel)
            throw new ArgumentException($"{values.Length} values do not fill shape {shape} ({shape.Numel} elements).");
        var t = Empty(shape);
        values.CopyTo(t.Span);
        return t;
    }

    public static Tensor FromArray(float[] values, params int[] shape) => FromArray(values.AsSpan(), new Shape(shape));

    /// <summary>Standard normal values from a seeded generator (Box-Muller), reproducible across machines.</summary>
    public static Tensor Randn(Shape shape, int seed, float scale = 1f)
    {
        var t = Empty(shape);
        var rng = new Random(seed);
        var s = t.Span;
        for (int i = 0; i < s.Length; i++)
        {
            double u1 = 1.0 - rng.NextDouble(), u2 = rng.NextDouble();
            s[i] = (float)(scale * Math.Sqrt(-2.0 * Math.Log(u1)) * Math.Cos(2 * Math.PI * u2));
        }
        return t;
    }

    /// <summary>Uniform values in [low, high) from a seeded generator.</summary>
    public static Tensor Uniform(Shape shape, int seed, float low = 0f, float high = 1f)
    {
        var t = Empty(shape);
        var rng = new Random(seed);
        var s = t.Span;
        for (int i = 0; i < s.Length; i++) s[i] = low + (high - low) * (float)rng.NextDouble();
        return t;
    }

    /// <summary>Opens a disposal scope: tensors made on this thread until it ends are freed with it.</summary>
    public static TensorScope Scope() => new();

    // ---------------------------------------------------------------- views

    /// <summary>A new tensor object over the same memory (the caller owns the object, the memory is shared).</summary>
    internal Tensor View(Shape shape, int[] strides, int offsetDelta = 0)
    {
        var b = _buffer ?? throw new ObjectDisposedException(nameof(Tensor));
        b.AddRef();
        return new Tensor(b, _offset + offsetDelta, shape, strides, scoped: true);
    }

    internal Tensor Alias() => View(Shape, (int[])_strides.Clone());

    /// <summary>
    /// When this tensor is the only holder of its memory, a new tensor object outside every scope that takes the
    /// memory over (this one may then be disposed); null when the memory is shared and must be copied instead.
    /// </summary>
    internal Tensor? TakeOverUnscoped()
    {
        var b = _buffer ?? throw new ObjectDisposedException(nameof(Tensor));
        if (!b.IsUnshared || _offset != 0) return null;
        b.AddRef();
        return new Tensor(b, 0, Shape, DenseStridesLike(), scoped: false);
    }

    // ---------------------------------------------------------------- reading

    /// <summary>The values in logical row-major order.</summary>
    public float[] ToArray()
    {
        var result = new float[Numel];
        if (IsContiguous) Span.CopyTo(result);
        else StridedCopy.ToContiguous(Data, Shape, _strides, result);
        return result;
    }

    /// <summary>
    /// Overwrites the values with <paramref name="values"/>, given in logical row-major order (the tensor keeps its
    /// memory order). Caches derived from the old values (the reordered copies of a conv weight) are rebuilt on next use.
    /// </summary>
    public void CopyFrom(ReadOnlySpan<float> values)
    {
        if (values.Length != Numel)
            throw new ArgumentException($"{values.Length} values do not fill shape {Shape} ({Numel} elements).");
        if (IsContiguous) values.CopyTo(Span);
        else
            fixed (float* src = values)
                StridedCopy.Copy(src, Shape.ContiguousStrides(), Data, _strides, Shape);
        Touch();
    }

    public float Item()
    {
        if (Numel != 1) throw new InvalidOperationException($"Item() needs a one-element tensor, not shape {Shape}.");
        return *Data;
    }

    [System.Runtime.CompilerServices.IndexerName("Element")]
    public float this[params int[] index]
    {
        get
        {
            if (index.Length != Rank) throw new ArgumentException($"Index of rank {index.Length} for a tensor of shape {Shape}.");
            long off = 0;
            for (int i = 0; i < Rank; i++)
            {
                if ((uint)index[i] >= (uint)Shape[i]) throw new IndexOutOfRangeException($"Index {Shape.Format(index)} is outside shape {Shape}.");
                off += (long)index[i] * _strides[i];
            }
            return Data[off];
        }
    }

    /// <summary>Marks an in-place change of the values.</summary>
    internal void Touch() => Version++;

    /// <summary>A backend's cache derived from these values (a reordered copy of weights); freed with the tensor.</summary>
    internal IDisposable? Derived { get; set; }

    private void DisposeDerived()
    {
        Derived?.Dispose();
        Derived = null;
    }

    public override string ToString() => $"Tensor{Shape} {Format}" + (RequiresGrad ? " requires_grad" : "");

    public void Dispose()
    {
        var b = Interlocked.Exchange(ref _buffer, null);
        if (b is null) return;
        b.Release();
        DisposeDerived();
        GradFn = null;
        Grad?.Dispose();
        Grad = null;
    }
}
