using System.Runtime.InteropServices;

namespace ContextNets.Backend.Dnnl;

/// <summary>
/// A created oneDNN primitive with its descriptor. It keeps one memory object
/// per execution argument and rebinds their data pointers on each call, and it
/// owns its scratchpad (rented from the pool per call) instead of letting
/// oneDNN allocate behind our back.
/// </summary>
internal sealed unsafe class Primitive : IDisposable
{
    private const int QueryExecArgMd = 255;
    private nint _pd, _primitive;
    private readonly Dictionary<int, nint> _memories = [];
    private readonly object _gate = new();
    private readonly int _scratchpadFloats;

    private Primitive(nint pd)
    {
        _pd = pd;
        nint p;
        DnnlRuntime.Check(DnnlNative.dnnl_primitive_create(&p, pd), "creating a primitive");
        _primitive = p;
        var sp = Query(Q.ScratchpadMd);
        _scratchpadFloats = (int)((Md.Bytes(sp) + sizeof(float) - 1) / sizeof(float));
    }

    /// <summary>Creates the primitive for an initialized op descriptor, with user-owned scratchpad and optional post-ops and output scales.</summary>
    public static Primitive Create(void* opDesc, string what, nint hintPd = 0, PostOps? postOps = null, OutputScales? scales = null)
    {
        nint attr;
        DnnlRuntime.Check(DnnlNative.dnnl_primitive_attr_create(&attr), "creating attributes");
        try
        {
            DnnlRuntime.Check(DnnlNative.dnnl_primitive_attr_set_scratchpad_mode(attr, 1), "setting the scratchpad mode");
            postOps?.ApplyTo(attr);
            scales?.ApplyTo(attr);
            nint pd;
            DnnlRuntime.Check(DnnlNative.dnnl_primitive_desc_create(&pd, opDesc, attr, DnnlRuntime.Engine, hintPd), what);
            return new Primitive(pd);
        }
        finally
        {
            DnnlNative.dnnl_primitive_attr_destroy(attr);
        }
    }

    /// <summary>A reorder between layouts or data types; with <paramref name="scales"/>, dst = scale x src (rounded and saturated for integers).</summary>
    public static Primitive Reorder(in MemoryDesc src, in MemoryDesc dst, OutputScales? scales = null)
    {
        nint attr;
        DnnlRuntime.Check(DnnlNative.dnnl_primitive_attr_create(&attr), "creating attributes");
        try
        {
            DnnlRuntime.Check(DnnlNative.dnnl_primitive_attr_set_scratchpad_mode(attr, 1), "setting the scratchpad mode");
            scales?.ApplyTo(attr);
            nint pd;
            fixed (MemoryDesc* s = &src)
            fixed (MemoryDesc* d = &dst)
                DnnlRuntime.Check(DnnlNative.dnnl_reorder_primitive_desc_create(&pd, s, DnnlRuntime.Engine, d, DnnlRuntime.Engine, attr), "creating a reorder");
            return new Primitive(pd);
        }
        finally
        {
            DnnlNative.dnnl_primitive_attr_destroy(attr);
        }
    }

    internal nint Descriptor => _pd;

    /// <summary>The memory descriptor the primitive expects for a query (src, weights, workspace...); zeroed when it has none.</summary>
    public MemoryDesc Query(int what, int index = 0)
    {
        var md = DnnlNative.dnnl_primitive_desc_query_md(_pd, what, index);
        return md == null ? default : *md;
    }

    /// <summary>The implementation oneDNN chose, e.g. "jit:avx512_core".</summary>
    public string Implementation
    {
        get
        {
            byte* s;
            DnnlRuntime.Check(DnnlNative.dnnl_primitive_desc_query(_pd, Q.ImplInfoStr, 0, &s), "querying the implementation");
            return Marshal.PtrToStringUTF8((nint)s) ?? "";
        }
    }

    /// <summary>Runs the primitive on raw pointers; each argument must match what <see cref="Query"/> says for it.</summary>
    public void Execute(ReadOnlySpan<(int arg, nint ptr)> args)
    {
        int n = args.Length + (_scratchpadFloats > 0 ? 1 : 0);
        ExecArg* exec = stackalloc ExecArg[n];
        float* scratch = null;
        int scratchCapacity = 0;
        if (_scratchpadFloats > 0) scratch = (float*)BufferPool.Rent(_scratchpadFloats, out scratchCapacity);
        bool shared = Monitor.TryEnter(_gate);
        try
        {
            for (int i = 0; i < args.Length; i++)
                exec[i] = new ExecArg { Arg = args[i].arg, Memory = Bind(args[i].arg, (void*)args[i].ptr, shared) };
            if (scratch != null) exec[n - 1] = new ExecArg { Arg = Arg.Scratchpad, Memory = Bind(Arg.Scratchpad, scratch, shared) };
            var stream = DnnlRuntime.Stream;
            ThreadSettings.ApplyOnThisThread();
            DnnlRuntime.Check(DnnlNative.dnnl_primitive_execute(_primitive, stream, n, exec), "executing a primitive");
            DnnlRuntime.Check(DnnlNative.dnnl_stream_wait(stream), "waiting for a primitive");
        }
        finally
        {
            if (shared) Monitor.Exit(_gate);
            else for (int i = 0; i < n; i++) DnnlNative.dnnl_memory_destroy(exec[i].Memory);
            if (scratch != null) BufferPool.Return(scratch, scratchCapacity);
        }
    }

    // With the gate held, memory objects are reused; another thread running the same primitive makes its own.
    private nint Bind(int arg, void* ptr, bool shared)
    {
        if (shared && _memories.TryGetValue(arg, out nint mem))
        {
            DnnlRuntime.Check(DnnlNative.dnnl_memory_set_data_handle(mem, ptr), "binding memory");
            return mem;
        }
        var md = DnnlNative.dnnl_primitive_desc_query_md(_pd, QueryExecArgMd, arg);
        if (md == null) throw new InvalidOperationException($"The primitive takes no argument {arg}.");
        DnnlRuntime.Check(DnnlNative.dnnl_memory_create(&mem, md, DnnlRuntime.Engine, ptr), "creating memory");
        if (shared) _memories[arg] = mem;
        return mem;
    }

    public void Dispose()
    {
        lock (_gate)
        {
            foreach (var m in _memories.Values) DnnlNative.dnnl_memory_destroy(m);
            _memories.Clear();
            if (_primitive != 0) DnnlNative.dnnl_primitive_destroy(_primitive);
            if (_pd != 0) DnnlNative.dnnl_primitive_desc_destroy(_pd);
            _primitive = _pd = 0;
        }
    }
}
