using System.Reflection;
using System.Runtime.InteropServices;

namespace ContextNets.Backend.Dnnl;

/// <summary>
/// Loads libdnnl once, creates the CPU engine, and fixes the OpenMP thread
/// count before the first parallel region. Every entry into oneDNN goes
/// through <see cref="Engine"/>, so a missing library fails here, once, with
/// the package to install.
/// </summary>
internal static unsafe class DnnlRuntime
{
    /// <summary>CTXNET_DNNL_LIBRARY overrides the library's path (tests use it to see the missing-library message).</summary>
    public static string SoName => Environment.GetEnvironmentVariable("CTXNET_DNNL_LIBRARY") is { Length: > 0 } p ? p : "libdnnl.so.2";
    public const string Package = "libdnnl2";
    private static readonly Lazy<nint> LazyEngine = new(Initialize, LazyThreadSafetyMode.ExecutionAndPublication);
    private static nint _library;
    [ThreadStatic] private static nint _stream;

    public static nint Engine => LazyEngine.Value;

    /// <summary>The stream of the calling thread (oneDNN streams are not shared between threads).</summary>
    public static nint Stream
    {
        get
        {
            if (_stream == 0)
            {
                nint s;
                Check(DnnlNative.dnnl_stream_create(&s, Engine, 1), "creating a stream");
                _stream = s;
            }
            return _stream;
        }
    }

    public static void Check(int status, string what)
    {
        if (status != 0) throw new DnnlException(status, what);
    }

    private static nint Initialize()
    {
        ThreadSettings.PrepareEnvironment();
        if (!NativeLibrary.TryLoad(SoName, out _library))
            throw new NativeDependencyException(
                $"oneDNN ({SoName}) was not found. ContextNets runs its kernels on Debian's oneDNN 2.6: install it with `sudo apt-get install {Package}` (or run ./ctxnet, which installs it).");
        NativeLibrary.SetDllImportResolver(typeof(DnnlRuntime).Assembly, Resolve);
        var v = DnnlNative.dnnl_version();
        if (v->Major != 2)
            throw new NativeDependencyException($"ContextNets binds the oneDNN 2.x C API, but {SoName} reports {v->Major}.{v->Minor}.{v->Patch}. Install Debian 12's {Package}.");
        ThreadSettings.ApplyOnThisThread();
        nint engine;
        Check(DnnlNative.dnnl_engine_create(&engine, 1, 0), "creating the CPU engine");
        return engine;
    }

    private static nint Resolve(string name, Assembly assembly, DllImportSearchPath? path) =>
        name == DnnlNative.Library ? _library : 0;

    public static string Version
    {
        get
        {
            _ = Engine;
            var v = DnnlNative.dnnl_version();
            string hash = v->Hash == null ? "" : Marshal.PtrToStringUTF8((nint)v->Hash) ?? "";
            return $"{v->Major}.{v->Minor}.{v->Patch}" + (hash.Length > 0 && hash != "N/A" ? $" ({hash[..Math.Min(8, hash.Length)]})" : "");
        }
    }

    /// <summary>The instruction set oneDNN dispatches to.</summary>
    public static string Isa
    {
        get
        {
            _ = Engine;
            return DnnlNative.dnnl_get_effective_cpu_isa() switch
            {
                0x1 => "sse41",
                0x3 => "avx",
                0x7 => "avx2",
                0x407 => "avx2_vnni",
                0x27 => "avx512_core",
                0x67 => "avx512_core_vnni",
                0xe7 => "avx512_core_bf16",
                0x3e7 => "avx512_core_amx",
                int other => $"0x{other:x}",
            };
        }
    }
}

public sealed class DnnlException(int status, string what)
    : Exception($"oneDNN failed while {what}: {StatusName(status)} (status {status}).")
{
    public int Status { get; } = status;

    private static string StatusName(int s) => s switch
    {
        1 => "out of memory",
        2 => "invalid arguments",
        3 => "unimplemented (no kernel for this shape, layout or data type)",
        4 => "iterator ends",
        5 => "runtime error",
        6 => "not required",
        _ => "unknown status",
    };
}
