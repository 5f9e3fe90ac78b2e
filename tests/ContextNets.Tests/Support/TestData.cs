namespace ContextNets.Tests.Support;

/// <summary>Finds the PyTorch-made test vectors: CTXNET_TESTDATA, else ../shared/testdata beside the repository, else the copy in tests/testdata.</summary>
internal static class TestData
{
    public static string RepoRoot { get; } = FindRepoRoot();

    public static string BlocksDir
    {
        get
        {
            var env = Environment.GetEnvironmentVariable("CTXNET_TESTDATA");
            if (!string.IsNullOrEmpty(env)) return Path.Combine(env, "blocks");
            var shared = Path.GetFullPath(Path.Combine(RepoRoot, "..", "shared", "testdata", "blocks"));
            return Directory.Exists(shared) ? shared : Path.Combine(RepoRoot, "tests", "testdata", "blocks");
        }
    }

    public static string Block(string name) => Path.Combine(BlocksDir, name + ".safetensors");

    private static string FindRepoRoot()
    {
        for (var d = new DirectoryInfo(AppContext.BaseDirectory); d is not null; d = d.Parent)
            if (File.Exists(Path.Combine(d.FullName, "ContextNets.slnx"))) return d.FullName;
        throw new InvalidOperationException($"No ContextNets.slnx above {AppContext.BaseDirectory}.");
    }
}
