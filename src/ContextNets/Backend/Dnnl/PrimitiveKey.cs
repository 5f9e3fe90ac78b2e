namespace ContextNets.Backend.Dnnl;

/// <summary>What makes two primitives the same: the op, its shapes, strides and attributes, as numbers.</summary>
internal sealed class PrimitiveKey : IEquatable<PrimitiveKey>
{
    private readonly string _op;
    private readonly long[] _values;
    private readonly int _hash;

    private PrimitiveKey(string op, long[] values)
    {
        _op = op;
        _values = values;
        var h = new HashCode();
        h.Add(op);
        foreach (long v in values) h.Add(v);
        _hash = h.ToHashCode();
    }

    public static Builder For(string op) => new(op);

    public bool Equals(PrimitiveKey? other) =>
        other is not null && _hash == other._hash && _op == other._op && _values.AsSpan().SequenceEqual(other._values);
    public override bool Equals(object? obj) => Equals(obj as PrimitiveKey);
    public override int GetHashCode() => _hash;
    public override string ToString() => $"{_op}({string.Join(",", _values)})";

    public struct Builder(string op)
    {
        private readonly List<long> _values = new(32);

        public Builder Add(long v)
        {
            _values.Add(v);
            return this;
        }

        public Builder Add(ReadOnlySpan<int> vs)
        {
            _values.Add(vs.Length);
            foreach (int v in vs) _values.Add(v);
            return this;
        }

        public Builder Add(Tensor t) => Add(t.Shape.Dims).Add(t.Strides);

        /// <summary>The key, with the thread count: a primitive made for one count keeps that count's work split.</summary>
        public readonly PrimitiveKey Build() => new(op, [.. _values, ThreadSettings.Count]);
    }
}
