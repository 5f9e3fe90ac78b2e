using ContextNets.Analysis;
using ContextNets.Autograd;
using ContextNets.NN;
using ContextNets.Tests.Analysis;
using CrissCrossBlock = ContextNets.Attention.CrissCross;

namespace ContextNets.Tests.Attention.CrissCross;

/// <summary>`ctxnet analyze` reads the criss-cross block as a pairwise block: its row and column maps on the key grid.</summary>
public class CrissCrossAnalysisTests
{
    private static Sequential Model()
    {
        Initializers.Seed(11);
        var model = new Sequential(new Conv2d(3, 16, 3, padding: 1), new CrissCrossBlock(16));
        foreach (var (_, p) in model.NamedParameters()) Initializers.Normal(0.5)(p.Span);
        return model;
    }

    [Fact]
    public void AnalysisMeasuresAndDrawsTheRowAndColumnMaps()
    {
        using var model = Model();
        using var scope = Tensor.Scope();
        var (images, display) = AttentionAnalysisTests.Images(3, 2);
        using var analysis = new AttentionAnalysis(model, queries: 2, show: 2);
        analysis.Add(images, display);

        var p = Assert.Single(analysis.Pairwise);
        Assert.Equal("1", p.Block.Name);
        Assert.Equal((8, 8, 64, (8, 8)), (p.Height, p.Width, p.Keys, p.KeyGrid));
        Assert.True(p.HasDistributions);
        Assert.NotEmpty(p.AttentionJensenShannon.Values);

        var block = (CrissCrossBlock)model[1];
        model.Eval();
        using (GradMode.NoGrad()) model.Forward(images);
        Near(PositionDistances.AttentionCosine(block.LastAttention!), p.AttentionCosine.Values);
        Near(PositionDistances.FeatureCosine(block.LastInput!), p.InputCosine.Values);
        Near(PositionDistances.FeatureCosine(block.LastContext!), p.OutputCosine.Values);

        var canvas = p.Render();
        Assert.True(canvas.Width > 0 && canvas.Height > 0);
    }

    [Fact]
    public void OnlyTheRowAndColumnOfAQueryCarryWeight()
    {
        using var model = Model();
        using var scope = Tensor.Scope();
        var (images, display) = AttentionAnalysisTests.Images(1, 3);
        using var analysis = new AttentionAnalysis(model, queries: 1, show: 1);
        analysis.Add(images, display);
        var map = ((CrissCrossBlock)model[1]).LastAttention!;
        for (int u = 0; u < 64; u++)
        for (int key = 0; key < 64; key++)
            Assert.Equal(key / 8 == u / 8 || key % 8 == u % 8, map[0, u, key] > 0);
    }

    private static void Near(IReadOnlyList<double> expected, IReadOnlyList<double> actual)
    {
        Assert.Equal(expected.Count, actual.Count);
        for (int i = 0; i < expected.Count; i++) Assert.Equal(expected[i], actual[i], 9);
    }
}
