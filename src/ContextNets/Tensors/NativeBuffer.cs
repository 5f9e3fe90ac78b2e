namespace ContextNets;

/// <summary>
/// A reference-counted block of 64-byte aligned native memory. Views share one
/// buffer; the block goes back to the pool when the last tensor lets go of it.
/// </summary>
internal sealed unsafe class NativeBuffer
{
    private int _refs = 1;

    public NativeBuffer(int length)
    {
        Length = length;
        Pointer = (float*)BufferPool.Rent(length, out int capacity);
        Capacity = capacity;
    }

    public float* Pointer { get; private set; }
    public int Length { get; }
    private int Capacity { get; }

    /// <summary>True when exactly one tensor holds this block, so it may be taken over or written in place.</summary>
    public bool IsUnshared => Volatile.Read(ref _refs) == 1;

    public void AddRef()
    {
        if (Interlocked.Increment(ref _refs) <= 1) throw new ObjectDisposedException(nameof(NativeBuffer));
    }

    public void Release()
    {
        int left = Interlocked.Decrement(ref _refs);
        if (left == 0)
        {
            BufferPool.Return(Pointer, Capacity);
            Pointer = null;
        }
        else if (left < 0) throw new InvalidOperationException("A tensor buffer was released twice.");
    }
}
