using ContextNets.Tests.Support;

namespace ContextNets.Tests.Attention;

/// <summary>
/// The vector files this repository makes itself (tests/python) and keeps in tests/testdata/blocks.
/// They are read from there even when the shared folder, which lacks them, is what the harness reads.
/// </summary>
internal static class LocalVectors
{
    public static string Dir => Path.Combine(TestData.RepoRoot, "tests", "testdata", "blocks");

    public static List<string> Names(string prefix) =>
        Directory.GetFiles(Dir, prefix + "*.safetensors").Order().Select(f => Path.GetFileNameWithoutExtension(f)).ToList();

    public static TheoryData<string> Named(string prefix)
    {
        var data = new TheoryData<string>();
        foreach (var name in Names(prefix)) data.Add(name);
        return data;
    }

    public static string File(string name) => Path.Combine(Dir, name + ".safetensors");
}
