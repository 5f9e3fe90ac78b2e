namespace ContextNets.Tests.Attention;

/// <summary>
/// Configurations whose gradients a plain float32 implementation misses against the float64 reference, and PyTorch's
/// float32 misses too (tests/python/precision_cases.py): split attention with radix 2 and stride 2 (bn0's weight
/// gradient) and the embedded-gaussian non-local block without logit scaling (grad x). They pass, at the harness's
/// usual tolerance, because the reductions that feed them are accumulated in float64.
/// </summary>
public class PrecisionVectorTests
{
    public static TheoryData<string> Files() => LocalVectors.Named("precision_");

    [Fact]
    public void TheVectorsArePresent() => Assert.Equal(4, LocalVectors.Names("precision_").Count);

    [Theory]
    [MemberData(nameof(Files))]
    public void BlockMatchesTheFloat64Reference(string name) => BlockVectorTests.Verify(LocalVectors.File(name), name);
}
