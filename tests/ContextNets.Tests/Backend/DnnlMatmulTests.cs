using ContextNets.Backend;
using ContextNets.Backend.Dnnl;

namespace ContextNets.Tests.Backend;

/// <summary>
/// Transposes reach oneDNN as swapped strides; these must still land on an
/// optimized GEMM kernel, not on the reference loops that oneDNN falls back to.
/// </summary>
public class DnnlMatmulTests
{
    public static TheoryData<string, int[], int[], int[], int[], bool> Layouts => new()
    {
        { "plain", [64, 32], [32, 1], [32, 16], [16, 1], false },
        { "weights transposed, bias fused (linear)", [64, 32], [32, 1], [32, 16], [1, 32], true },
        { "src transposed (grad of weights)", [64, 32], [1, 64], [32, 16], [16, 1], false },
        { "batched, weights transposed", [3, 64, 32], [2048, 32, 1], [3, 32, 16], [512, 1, 32], false },
        { "batched, src transposed", [3, 64, 32], [2048, 1, 64], [3, 32, 16], [512, 16, 1], false },
        { "weights batch broadcast", [3, 64, 32], [2048, 32, 1], [1, 32, 16], [512, 1, 32], false },
        { "src batch broadcast", [1, 64, 32], [2048, 32, 1], [3, 32, 16], [512, 16, 1], false },
    };

    [Theory]
    [MemberData(nameof(Layouts))]
    public void StridedOperandsUseAnOptimizedKernel(string what, int[] aDims, int[] aStrides, int[] bDims, int[] bStrides, bool bias)
    {
        int[] cDims = [.. aDims[..^2].Zip(bDims[..^2], Math.Max), aDims[^2], bDims[^1]];
        var c = new MatOperand(cDims, new Shape(cDims).ContiguousStrides(), 0);
        var impl = DnnlMatmul.PrimitiveFor(new MatOperand(aDims, aStrides, 0), new MatOperand(bDims, bStrides, 0), c, bias).Implementation;
        Assert.False(impl.StartsWith("ref", StringComparison.Ordinal), $"{what}: oneDNN chose {impl}");
    }
}
