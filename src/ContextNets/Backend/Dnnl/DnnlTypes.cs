using System.Runtime.InteropServices;

namespace ContextNets.Backend.Dnnl;

/// <summary>dnnl_memory_desc_t: a value struct that only oneDNN reads and writes.</summary>
[StructLayout(LayoutKind.Sequential, Size = DnnlSizes.MemoryDesc)]
internal unsafe struct MemoryDesc
{
    private fixed byte _bytes[DnnlSizes.MemoryDesc];
}

/// <summary>dnnl_exec_arg_t.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct ExecArg
{
    public int Arg;
    public nint Memory;
}

/// <summary>dnnl_version_t.</summary>
[StructLayout(LayoutKind.Sequential)]
internal unsafe struct DnnlVersion
{
    public int Major, Minor, Patch;
    public byte* Hash;
    public uint CpuRuntime, GpuRuntime;
}

/// <summary>Byte sizes of the oneDNN 2.6.3 structs (x86-64), checked by a test against the headers' values.</summary>
internal static class DnnlSizes
{
    public const int MemoryDesc = 696;
    public const int ConvolutionDesc = 5976;
    public const int PoolingV2Desc = 3288;
    public const int NormalizationDesc = 3496;
    public const int EltwiseDesc = 1416;
    public const int SoftmaxV2Desc = 2800;
    public const int MatmulDesc = 2800;
    public const int BinaryDesc = 2096;
    public const int ExecArg = 16;
    public const int Version = 32;

    /// <summary>Large enough for any op descriptor we create.</summary>
    public const int MaxOpDesc = ConvolutionDesc;
}

internal static class Dt
{
    public const int Bf16 = 2, F32 = 3, S32 = 4, S8 = 5, U8 = 6;
}

internal static class Tag
{
    public const int Any = 1, A = 2, Ab = 3, Abc = 4, Abcd = 5, Abcde = 7, Acdb = 20;
}

internal static class Prop
{
    public const int ForwardTraining = 64, ForwardInference = 96, Backward = 128, BackwardData = 160, BackwardWeights = 192;
}

internal static class Alg
{
    public const int ConvolutionDirect = 1;
    public const int EltwiseRelu = 0x1f, EltwiseLogistic = 0xaf;
    public const int PoolingMax = 0x1ff, PoolingAvgIncludePadding = 0x2ff, PoolingAvgExcludePadding = 0x3ff;
    public const int BinaryAdd = 0x1fff0, BinaryMul = 0x1fff1;
    public const int SoftmaxAccurate = 0x30000, SoftmaxLog = 0x30001;
}

internal static class NormFlags
{
    public const uint UseGlobalStats = 1, UseScale = 8, UseShift = 16;
}

internal static class Q
{
    public const int ImplInfoStr = 8;
    public const int SrcMd = 129, DiffSrcMd = 130, WeightsMd = 131, DiffWeightsMd = 132, DstMd = 133, DiffDstMd = 134, WorkspaceMd = 135, ScratchpadMd = 136;
}

internal static class Arg
{
    public const int Src = 1, Src1 = 2, Dst = 17, Weights = 33, Bias = 41;
    public const int Mean = 49, Variance = 50, Scale = 51, Shift = 52;
    public const int Workspace = 64, Scratchpad = 80;
    public const int DiffSrc = 129, DiffDst = 145, DiffWeights = 161, DiffBias = 169, DiffScale = 255, DiffShift = 256;
    public const int From = Src, To = Dst;
}
