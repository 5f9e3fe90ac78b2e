using System.Numerics;
using System.Runtime.InteropServices;

namespace ContextNets;

/// <summary>
/// A pooling allocator for tensor memory. A training step allocates the same
/// activation sizes every time, so freed blocks are kept in size classes
/// (powers of two, and the midpoints between them) and handed out again
/// instead of going back to malloc.
/// </summary>
public static unsafe class BufferPool
{
    public const int Alignment = 64;
    private const int ClassCount = 64;
    private static readonly Stack<nint>[] Free = CreateClasses();
    private static readonly object Gate = new();
    private static long _pooledBytes;
    private static long _liveBytes;

    /// <summary>The most memory the pool keeps when nothing uses it.</summary>
    public static long MaxPooledBytes { get; set; } = 4L << 30;

    public static long PooledBytes => Interlocked.Read(ref _pooledBytes);
    public static long LiveBytes => Interlocked.Read(ref _liveBytes);
    public static long Allocations { get; private set; }

    internal static void* Rent(int floats, out int capacity)
    {
        if (floats > 1 << 30) throw new ArgumentException($"A tensor of {floats} elements is larger than the 4 GiB a buffer may hold.");
        int cls = SizeClass(Math.Max(floats, 16));
        capacity = ClassCapacity(cls);
        long bytes = (long)capacity * sizeof(float);
        lock (Gate)
        {
            if (Free[cls].TryPop(out nint p))
            {
                _pooledBytes -= bytes;
                Interlocked.Add(ref _liveBytes, bytes);
                return (void*)p;
            }
        }
        void* mem = NativeMemory.AlignedAlloc((nuint)bytes, Alignment);
        if (mem == null) throw new OutOfMemoryException($"Could not allocate {bytes} bytes for a tensor.");
        lock (Gate) Allocations++;
        Interlocked.Add(ref _liveBytes, bytes);
        return mem;
    }

    internal static void Return(void* p, int capacity)
    {
        long bytes = (long)capacity * sizeof(float);
        Interlocked.Add(ref _liveBytes, -bytes);
        lock (Gate)
        {
            if (_pooledBytes + bytes <= MaxPooledBytes)
            {
                Free[SizeClass(capacity)].Push((nint)p);
                _pooledBytes += bytes;
                return;
            }
        }
        NativeMemory.AlignedFree(p);
    }

    /// <summary>Frees every pooled block back to the system.</summary>
    public static void Trim()
    {
        lock (Gate)
        {
            foreach (var stack in Free)
                while (stack.TryPop(out nint p)) NativeMemory.AlignedFree((void*)p);
            _pooledBytes = 0;
        }
    }

    // Classes alternate 2^k and 1.5 * 2^k, so a block wastes at most a third.
    private static int SizeClass(int floats)
    {
        int k = 31 - BitOperations.LeadingZeroCount((uint)(floats - 1)) + 1;
        int cls = 2 * k;
        if (k > 1 && floats <= 3 << (k - 2)) cls -= 1;
        return cls;
    }

    private static int ClassCapacity(int cls)
    {
        int k = (cls + 1) / 2;
        return cls % 2 == 0 ? 1 << k : 3 << (k - 2);
    }

    private static Stack<nint>[] CreateClasses()
    {
        var classes = new Stack<nint>[ClassCount];
        for (int i = 0; i < ClassCount; i++) classes[i] = new Stack<nint>();
        return classes;
    }
}
