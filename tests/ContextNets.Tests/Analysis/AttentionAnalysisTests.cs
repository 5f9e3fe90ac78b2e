using ContextNets.Analysis;
using ContextNets.Attention;
using ContextNets.Autograd;
using ContextNets.Data;
using ContextNets.NN;

namespace ContextNets.Tests.Analysis;

public class AttentionAnalysisTests
{
    /// <summary>A conv, then NL, GC and SE blocks on 8x8 maps of 3-channel images.</summary>
    internal static Sequential SmallModel(Pairwise mode = Pairwise.EmbeddedGaussian)
    {
        Initializers.Seed(7);
        var model = new Sequential(new Conv2d(3, 8, 3, padding: 1), NonLocalFeatureCaptureTests.RandomBlock(8, mode), new GlobalContext(8), new SqueezeExcite(8));
        foreach (var (_, p) in model.NamedParameters()) Initializers.Normal(0.5)(p.Span);
        return model;
    }

    internal static (Tensor images, Image8[] display) Images(int n, int seed)
    {
        var rng = new Random(seed);
        var display = Enumerable.Range(0, n).Select(_ =>
        {
            var image = new Image8(8, 8, 3);
            rng.NextBytes(image.Pixels);
            return image;
        }).ToArray();
        var values = display.SelectMany(d => Enumerable.Range(0, 3).SelectMany(c => Enumerable.Range(0, 64).Select(p => d.Pixels[p * 3 + c] / 255f))).ToArray();
        return (Tensor.FromArray(values, new Shape(n, 3, 8, 8)), display);
    }

    [Fact]
    public void BatchesAddUpToTheMeasurementsOfAllImagesAtOnce()
    {
        using var model = SmallModel();
        model.Train();
        using var scope = Tensor.Scope();
        var (images, display) = Images(5, 1);
        using (var analysis = new AttentionAnalysis(model, queries: 3, show: 4))
        {
            Assert.Equal(["1"], analysis.Pairwise.Select(p => p.Block.Name));
            Assert.Equal(["2"], analysis.Pooling.Select(p => p.Block.Name));
            Assert.Equal(["3"], analysis.WithoutMap.Select(b => b.Name));
            var (first, second) = (F.Slice(images, 0, 0, 3), F.Slice(images, 0, 3, 2));
            analysis.Add(first, display[..3]);
            analysis.Add(second, display[3..]);
            Assert.Equal(5, analysis.Images);
            Assert.True(model.Training, "the model's training mode was not restored");

            var nl = (NonLocal)model[1];
            model.Eval();
            using (GradMode.NoGrad()) model.Forward(images);
            var p = analysis.Pairwise[0];
            Assert.Equal((8, 8, 64, (8, 8)), (p.Height, p.Width, p.Keys, p.KeyGrid));
            Assert.Equal([(2, 2), (2, 6), (6, 2)], p.QueryPoints);
            Near(PositionDistances.AttentionCosine(nl.LastAttention!), p.AttentionCosine.Values);
            Near(PositionDistances.AttentionJensenShannon(nl.LastAttention!), p.AttentionJensenShannon.Values);
            Near(PositionDistances.FeatureCosine(nl.LastInput!), p.InputCosine.Values);
            Near(PositionDistances.FeatureCosine(nl.LastContext!), p.OutputCosine.Values);
            Near(MapEntropy.PerImage(nl.LastAttention!), p.Entropy.Values);
            Assert.InRange(p.AttentionCosine.Mean, p.AttentionCosine.Min, p.AttentionCosine.Max);
            Assert.True(p.AttentionCosine.Std > 0);
            Near(MapEntropy.PerImage(((GlobalContext)model[2]).LastAttention!), analysis.Pooling[0].Entropy.Values);
            Assert.Equal((8, 8), analysis.Pooling[0].Grid);
        }
        Assert.False(((NonLocal)model[1]).CaptureAttention || ((NonLocal)model[1]).CaptureFeatures || ((GlobalContext)model[2]).CaptureAttention,
            "Dispose did not switch the captures back off");
    }

    /// <summary>A batch of 3 and one of 2 may take other kernels than one of 5: float round-off apart, the same.</summary>
    private static void Near(IReadOnlyList<double> expected, IReadOnlyList<double> actual)
    {
        Assert.Equal(expected.Count, actual.Count);
        for (int i = 0; i < expected.Count; i++)
            Assert.True(Math.Abs(expected[i] - actual[i]) <= 1e-6 + 1e-4 * Math.Abs(expected[i]), $"image {i}: {actual[i]}, expected {expected[i]}");
    }

    [Fact]
    public void ModesWithoutDistributionsHaveNoDivergence()
    {
        using var model = SmallModel(Pairwise.DotProduct);
        using var scope = Tensor.Scope();
        var (images, display) = Images(2, 2);
        using var analysis = new AttentionAnalysis(model);
        analysis.Add(images, display);
        var p = analysis.Pairwise[0];
        Assert.Equal(2, p.AttentionCosine.Values.Count);
        Assert.Empty(p.AttentionJensenShannon.Values);
        Assert.True(double.IsNaN(p.AttentionJensenShannon.Mean));
        Assert.Equal(4, p.QueryPoints.Count);
    }

    [Fact]
    public void SubSampledKeysAreDrawnOnTheirPooledGrid()
    {
        Initializers.Seed(8);
        using var model = new Sequential(new Conv2d(3, 8, 3, padding: 1), NonLocalFeatureCaptureTests.RandomBlock(8, subSample: true));
        using var scope = Tensor.Scope();
        var (images, display) = Images(2, 6);
        using var analysis = new AttentionAnalysis(model, queries: 2, show: 1);
        analysis.Add(images, display);
        var p = analysis.Pairwise[0];
        Assert.Equal((64, 16, (4, 4)), (p.Positions, p.Keys, p.KeyGrid));
        Assert.True(p.CanRender);
        Assert.Empty(analysis.Pooling);
        var picture = p.Render();
        Assert.True(picture.Width > 3 * 112 && picture.Height > 112, $"{picture.Width}x{picture.Height}");
    }

    [Fact]
    public void AModelWithoutAttentionMapsIsRefusedByName()
    {
        using var model = new Sequential(new Conv2d(3, 8, 1), new SqueezeExcite(8), new SqueezeExcite(8));
        var e = Assert.Throws<ArgumentException>(() => new AttentionAnalysis(model));
        Assert.Contains("2 SqueezeExcite", e.Message);
        Assert.Contains("NonLocal", e.Message);
        using var plain = new Sequential(new Conv2d(3, 8, 1));
        Assert.Contains("no attention block", Assert.Throws<ArgumentException>(() => new AttentionAnalysis(plain)).Message);
    }

    [Fact]
    public void DisplayImagesMustMatchTheBatch()
    {
        using var model = SmallModel();
        using var scope = Tensor.Scope();
        var (images, display) = Images(2, 3);
        using var analysis = new AttentionAnalysis(model);
        var e = Assert.Throws<ArgumentException>(() => analysis.Add(images, display[..1]));
        Assert.Contains("[2, 3, 8, 8]", e.Message);
        Assert.Contains("queries must be at least 1", Assert.Throws<ArgumentException>(() => new AttentionAnalysis(model, queries: 0)).Message);
        Assert.Contains("show must be at least 1", Assert.Throws<ArgumentException>(() => new AttentionAnalysis(model, show: 0)).Message);
    }
}
