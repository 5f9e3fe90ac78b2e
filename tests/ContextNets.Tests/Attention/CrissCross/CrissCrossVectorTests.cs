using ContextNets.Tests.Support;

namespace ContextNets.Tests.Attention.CrissCross;

/// <summary>
/// The criss-cross block through the block-vector harness, unchanged: the shared vector made from the paper and
/// checked against the official CCNet module (../shared/testdata/cca, copied to tests/testdata/cca), and the ones
/// tests/python/gen_cca_vectors.py makes from its own plain reference (recurrence 1 to 3, non-square maps, one row,
/// train and eval).
/// </summary>
public class CrissCrossVectorTests
{
    public static string Dir => Path.Combine(TestData.RepoRoot, "tests", "testdata", "cca");

    public static TheoryData<string> Files()
    {
        var data = new TheoryData<string>();
        foreach (var f in Directory.GetFiles(Dir, "cca*.safetensors").Order()) data.Add(Path.GetFileNameWithoutExtension(f));
        return data;
    }

    [Fact]
    public void TheFolderHoldsTheSharedVectorAndOurs() => Assert.True(Files().Count >= 6, $"{Dir} holds {Files().Count} cca vectors");

    [Fact]
    public void SharedVectorMatches()
    {
        var shared = Path.GetFullPath(Path.Combine(TestData.RepoRoot, "..", "shared", "testdata", "cca", "cca_r2.safetensors"));
        BlockVectorTests.Verify(File.Exists(shared) ? shared : Path.Combine(Dir, "cca_r2.safetensors"), "cca_r2");
    }

    [Theory]
    [MemberData(nameof(Files))]
    public void BlockMatchesReference(string name) => BlockVectorTests.Verify(Path.Combine(Dir, name + ".safetensors"), name);
}
