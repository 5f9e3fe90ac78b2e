using ContextNets.Attention;

namespace ContextNets.Tests.Attention.CrissCross;

public class CrissCrossModuleTests
{
    [Fact]
    public void ParametersCarryTheOfficialNames()
    {
        using var block = new ContextNets.Attention.CrissCross(64);
        var shapes = block.NamedParameters().ToDictionary(p => p.name, p => p.tensor.Shape.ToString());
        Assert.Equal(new Dictionary<string, string>
        {
            ["query_conv.weight"] = "[8, 64, 1, 1]", ["query_conv.bias"] = "[8]",
            ["key_conv.weight"] = "[8, 64, 1, 1]", ["key_conv.bias"] = "[8]",
            ["value_conv.weight"] = "[64, 64, 1, 1]", ["value_conv.bias"] = "[64]",
            ["gamma"] = "[1]",
        }, shapes);
    }

    [Fact]
    public void ZeroGammaStartsTheBlockAsTheIdentity()
    {
        using var block = new ContextNets.Attention.CrissCross(16, recurrence: 3);
        using var scope = Tensor.Scope();
        var x = Tensor.Randn(new Shape(2, 16, 4, 5), seed: 3);
        Assert.Equal(0f, block.Gamma.Item());
        Assert.Equal(x.ToArray(), block.Forward(x).ToArray());
    }

    [Fact]
    public void ConfigBuildsTheBlockWithRecurrenceTwoByDefault()
    {
        using var block = (ContextNets.Attention.CrissCross)Blocks.FromConfig("cca", """{"channels": 32}""");
        Assert.Equal((32, 2, 4), (block.Channels, block.Recurrence, block.KeyChannels));
        Assert.Contains("Unknown cca config key(s): 'radix'", Assert.Throws<ArgumentException>(() => Blocks.FromConfig("cca", """{"channels": 32, "radix": 2}""")).Message);
    }

    [Fact]
    public void BadSizesAndInputsFailClearly()
    {
        Assert.Contains("at least 8", Assert.Throws<ArgumentException>(() => new ContextNets.Attention.CrissCross(4)).Message);
        Assert.Contains("recurrence must be at least 1", Assert.Throws<ArgumentException>(() => new ContextNets.Attention.CrissCross(16, 0)).Message);
        using var block = new ContextNets.Attention.CrissCross(16);
        using var scope = Tensor.Scope();
        Assert.Contains("expected 16 channels", Assert.Throws<ArgumentException>(() => block.Forward(Tensor.Zeros(new Shape(1, 8, 3, 3)))).Message);
    }

    [Fact]
    public void CaptureKeepsTheLastPassAsAPairwiseMapOnTheRowAndColumn()
    {
        using var block = new ContextNets.Attention.CrissCross(16) { CaptureAttention = true };
        block.Gamma.Span[0] = 0.5f;
        using (var scope = Tensor.Scope()) block.Forward(Tensor.Randn(new Shape(2, 16, 3, 5), seed: 4));
        var a = block.LastAttention!;
        Assert.Equal(new Shape(2, 15, 15), a.Shape);
        for (int u = 0; u < 15; u++)
        {
            double total = 0;
            for (int key = 0; key < 15; key++)
            {
                bool onPath = key / 5 == u / 5 || key % 5 == u % 5;
                Assert.True(onPath ? a[1, u, key] > 0 : a[1, u, key] == 0, $"query {u}, key {key}: {a[1, u, key]}");
                total += a[1, u, key];
            }
            Assert.Equal(1.0, total, 5);
        }
    }
}
