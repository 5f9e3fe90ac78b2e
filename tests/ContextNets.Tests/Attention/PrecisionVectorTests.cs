namespace ContextNets.Tests.Attention;

/// <summary>
/// The ill-conditioned vectors of tests/python/precision_cases.py (large weights, so sharp softmaxes and BatchNorm
/// sums that cancel), held to the same rtol 1e-4 as every block: non-local without the logit scale and gaussian
/// (which run in float64, see NonLocalPrecision), global context and simplified non-local attention pooling.
/// The split-attention ones (radix 2 and 4 with stride 2) run with the other local splat vectors.
/// </summary>
public class PrecisionVectorTests
{
    public static TheoryData<string> NonLocalFiles() => LocalVectors.Named("nl_");
    public static TheoryData<string> ContextFiles()
    {
        var data = LocalVectors.Named("gc_");
        foreach (var name in LocalVectors.Names("snl_")) data.Add(name);
        return data;
    }

    [Fact]
    public void TheVectorsArePresent()
    {
        var names = new[] { "nl_", "gc_", "snl_", "splat_" }.SelectMany(LocalVectors.Names).ToList();
        foreach (var expected in new[] { "nl_eg_noscale_a", "nl_eg_noscale_b", "nl_eg_noscale_c", "nl_eg_noscale_d", "nl_eg_noscale_e",
                     "nl_eg_noscale_f", "nl_gaussian_sharp", "nl_eg_scaled_wide", "gc_att_sharp_a", "gc_att_sharp_b", "snl_sharp",
                     "splat_r2_s2_a", "splat_r2_s2_b", "splat_r2_s2_c", "splat_r2_s2_d", "splat_r4_s2_sharp" })
            Assert.Contains(expected, names);
    }

    [Theory]
    [MemberData(nameof(NonLocalFiles))]
    public void SharpNonLocalMatchesPyTorch(string name) => BlockVectorTests.Verify(LocalVectors.File(name), name);

    [Theory]
    [MemberData(nameof(ContextFiles))]
    public void SharpContextPoolingMatchesPyTorch(string name) => BlockVectorTests.Verify(LocalVectors.File(name), name);
}
