namespace ContextNets.Tests.Attention;

/// <summary>The Selective Kernel vectors made by tests/python/gen_sk_vector.py (timm's SelectiveKernel in PyTorch, float64).</summary>
public class SelectiveKernelVectorTests
{
    public static TheoryData<string> Files() => LocalVectors.Named("sk");

    [Fact]
    public void TheVectorsArePresent() => Assert.Contains("sk", LocalVectors.Names("sk"));

    [Theory]
    [MemberData(nameof(Files))]
    public void SelectiveKernelMatchesPyTorch(string name) => BlockVectorTests.Verify(LocalVectors.File(name), name);
}

/// <summary>Split-attention vectors beyond the shared ones (tests/python/splat_cases.py): cardinality, stride, 5x5, radix 4, radix 1 with groups, an even kernel.</summary>
public class SplitAttentionVectorTests
{
    public static TheoryData<string> Files() => LocalVectors.Named("splat");

    [Fact]
    public void TheExtraVectorsArePresent()
    {
        var names = LocalVectors.Names("splat");
        foreach (var expected in new[] { "splat_g2_s2", "splat_r4_k5", "splat_r1_g4", "splat_k2_cout" }) Assert.Contains(expected, names);
    }

    [Theory]
    [MemberData(nameof(Files))]
    public void SplitAttentionMatchesPyTorch(string name) => BlockVectorTests.Verify(LocalVectors.File(name), name);
}
