using ContextNets.Attention;
using ContextNets.IO;
using ContextNets.Tests.Reference;
using ContextNets.Tests.Support;

namespace ContextNets.Tests.Attention;

/// <summary>
/// Every file in the block test-vector folder: build the block from its
/// metadata, load `param.*`, run forward in the file's mode, backpropagate
/// `grad_y`, and compare `y`, `grad_x`, every `grad.*` and, in train mode,
/// every `updated.*`. A file dropped into the folder is tested with no code change.
/// </summary>
public class BlockVectorTests
{
    public static TheoryData<string> Files()
    {
        var data = new TheoryData<string>();
        foreach (var f in Directory.GetFiles(TestData.BlocksDir, "*.safetensors").Order()) data.Add(Path.GetFileNameWithoutExtension(f));
        return data;
    }

    [Fact]
    public void TheFolderHoldsVectors() => Assert.NotEmpty(Files());

    [Theory]
    [MemberData(nameof(Files))]
    public void BlockMatchesPyTorch(string name) => Verify(TestData.Block(name), name);

    /// <summary>Runs one vector file through its block and compares everything it holds.</summary>
    internal static void Verify(string path, string name)
    {
        var file = SafetensorsFile.Read(path);
        string mode = file.Metadata["mode"];
        Assert.True(mode is "train" or "eval", $"{name}: unknown mode '{mode}'");
        using var block = Blocks.FromConfig(file.Metadata["block"], file.Metadata["config"]);
        // The registry's short name and the block's own (its facets) are written in two places: they must agree.
        Assert.Equal(file.Metadata["block"], Assert.IsAssignableFrom<IBlockFacets>(block).BlockName);
        using var scope = Tensor.Scope();

        var parameters = file.Keys.Where(k => k.StartsWith("param.", StringComparison.Ordinal))
            .ToDictionary(k => k["param.".Length..], file.Load);
        block.LoadStateDict(parameters, strict: true);
        block.Train(mode == "train");

        var x = file.Load("x");
        x.RequiresGrad = true;
        var y = block.Forward(x);
        y.Backward(file.Load("grad_y"));

        Check.Close(Expected(file, "y"), y, what: $"{name} y");
        Check.Close(Expected(file, "grad_x"), x.Grad!, what: $"{name} grad_x");
        var own = block.NamedParameters().ToDictionary(p => p.name, p => p.tensor);
        foreach (var key in file.Keys.Where(k => k.StartsWith("grad.", StringComparison.Ordinal)))
        {
            string param = key["grad.".Length..];
            Assert.True(own.TryGetValue(param, out var p), $"{name}: the block has no parameter '{param}'");
            Assert.True(p!.Grad is not null, $"{name}: '{param}' got no gradient");
            Check.Close(Expected(file, key), p.Grad!, what: $"{name} {key}");
        }
        var buffers = block.NamedBuffers().ToDictionary(b => b.name, b => b.tensor);
        foreach (var key in file.Keys.Where(k => k.StartsWith("updated.", StringComparison.Ordinal)))
            Check.Close(Expected(file, key), buffers[key["updated.".Length..]], what: $"{name} {key}");
    }

    [Fact]
    public void UnknownBlocksAndConfigKeysFailClearly()
    {
        Assert.Contains("Unknown block kind 'xyz'", Assert.Throws<ArgumentException>(() => Blocks.FromConfig("xyz", "{}")).Message);
        Assert.Contains("not valid JSON", Assert.Throws<ArgumentException>(() => Blocks.FromConfig("se", "{channels")).Message);
    }

    private static RefTensor Expected(SafetensorsFile file, string key)
    {
        using var t = file.Load(key);
        return RefTensor.From(t);
    }
}
