using System.Collections.Concurrent;

namespace ContextNets.Backend.Dnnl;

/// <summary>
/// Primitives keyed by op, shapes and attributes. Creating one (JIT-compiling
/// its kernel) costs far more than running it on a small tensor, so each is
/// made once per key and kept for the life of the process.
/// </summary>
internal static class PrimitiveCache
{
    private static readonly ConcurrentDictionary<PrimitiveKey, Lazy<Primitive>> Entries = new();

    public static int Count => Entries.Count;

    public static Primitive Get(PrimitiveKey key, Func<Primitive> create)
    {
        // oneDNN splits a kernel's work for the thread count it sees when the primitive is made.
        ThreadSettings.ApplyOnThisThread();
        return Entries.GetOrAdd(key, _ => new Lazy<Primitive>(create, LazyThreadSafetyMode.ExecutionAndPublication)).Value;
    }

    /// <summary>Copies between two layouts of the same logical tensor.</summary>
    public static void Reorder(in MemoryDesc src, nint srcPtr, in MemoryDesc dst, nint dstPtr)
    {
        var kb = PrimitiveKey.For("reorder");
        Md.AddTo(ref kb, src);
        Md.AddTo(ref kb, dst);
        var s = src;
        var d = dst;
        var p = Get(kb.Build(), () => Primitive.Reorder(s, d));
        p.Execute([(Arg.From, srcPtr), (Arg.To, dstPtr)]);
    }
}
