using ContextNets.Autograd;
using ContextNets.Models;
using ContextNets.Models.Inference;
using ContextNets.NN;
using ContextNets.Tests.Support;
using Xunit.Abstractions;

namespace ContextNets.Tests.Models;

/// <summary>The folded inference path against the model's own eval forward, and Predict from several threads.</summary>
public class InferenceModelTests(ITestOutputHelper output)
{
    [Theory]
    [InlineData("resnet20", 28)]
    [InlineData("resnet18", 64)]
    [InlineData("resnet50", 64)]
    [InlineData("resnet50d", 57)]
    [InlineData("resnext50_32x4d", 64)]
    [InlineData("gcresnet50", 64)]
    [InlineData("seresnet50", 64)]
    [InlineData("gcresnet50t", 64)]
    [InlineData("nlresnet50", 64)]
    [InlineData("resnest14d", 64)]
    [InlineData("skresnet18", 64)]
    [InlineData("gc_resnet20", 28)]
    [InlineData("se_resnet20", 28)]
    [InlineData("snl_resnet20", 28)]
    [InlineData("nl_resnet20", 28)]
    [InlineData("nl_gaussian_resnet20", 28)]
    [InlineData("sk_resnet20", 28)]
    [InlineData("splat_resnet20", 28)]
    public void FoldedLogitsMatchTheEvalForward(string name, int size)
    {
        using var model = RandomModel(name);
        model.Eval();
        using var inference = model.Prepare();
        using var scope = Tensor.Scope();
        using var noGrad = GradMode.NoGrad();
        var x = Tensor.Randn([2, model.Config.InChannels, size, size], 7);
        var expected = model.Forward(x).ToArray();
        var actual = inference.Predict(x).ToArray();
        double scale = expected.Max(v => Math.Abs((double)v));
        double err = expected.Zip(actual).Max(p => Math.Abs((double)p.First - p.Second));
        output.WriteLine($"{name}: max error {err / scale:G3} of the logits' scale {scale:G3}");
        Assert.True(scale > 0.1, $"{name}: degenerate logits");
        Assert.True(err <= 1e-4 * scale, $"{name}: folded logits are {err / scale:G3} of the scale {scale:G3} away from the eval forward.");
    }

    [Fact]
    public void PredictFromSeveralThreadsGivesTheSequentialResults()
    {
        using var model = RandomModel("gcresnet50", numClasses: 10);
        using var inference = model.Prepare();
        // Different batch sizes and input sizes interleave, so that threads meet in different primitives and in the same ones.
        var inputs = Enumerable.Range(0, 12).Select(i => Tensor.Randn([1 + i % 3, 3, i % 2 == 0 ? 40 : 32, 40], 100 + i)).ToArray();
        try
        {
            var sequential = inputs.Select(x => Logits(inference, x)).ToArray();
            var parallel = new float[inputs.Length][];
            for (int round = 0; round < 3; round++)
            {
                Parallel.For(0, inputs.Length, new ParallelOptions { MaxDegreeOfParallelism = 4 }, i => parallel[i] = Logits(inference, inputs[i]));
                for (int i = 0; i < inputs.Length; i++) Assert.Equal(sequential[i], parallel[i]);
            }
        }
        finally
        {
            foreach (var x in inputs) x.Dispose();
        }
    }

    [Fact]
    public void PreparingDrawsNothingFromTheInitializationGenerator()
    {
        var config = ResNets.Cifar(8);
        float[] SecondModelsWeights(bool prepareFirst)
        {
            Initializers.Seed(5);
            using var first = new ResNet(config);
            if (prepareFirst) first.Prepare().Dispose();
            using var second = new ResNet(config);
            return second.StateDict()["layer1.0.conv1.weight"].ToArray();
        }
        Assert.Equal(SecondModelsWeights(prepareFirst: false), SecondModelsWeights(prepareFirst: true));
    }

    [Fact]
    public void TheSnapshotIgnoresLaterTrainingAndBadInputIsRefused()
    {
        using var model = Zoo.Create("resnet20");
        Randomize(model);
        using var inference = model.Prepare();
        using var x = Tensor.Randn([1, 1, 28, 28], 5);
        var before = Logits(inference, x);
        foreach (var (_, t) in model.StateDict()) t.Span.Fill(0.5f);
        Assert.Equal(before, Logits(inference, x));
        using var rgb = Tensor.Randn([1, 3, 28, 28], 5);
        var ex = Assert.Throws<ArgumentException>(() => inference.Predict(rgb));
        Assert.Contains("[1, 3, 28, 28]", ex.Message);
    }

    private static float[] Logits(InferenceModel inference, Tensor x)
    {
        using var scope = Tensor.Scope();
        return inference.Predict(x).ToArray();
    }

    /// <summary>
    /// Weights and BN statistics away from their initial values, so that folding has something to fold. Tensors
    /// left at zero (the zero-initialized last convs, or all of them in a model built under
    /// <see cref="Initializers.SkipRandom"/>) get uniform values with a spread of 1 / sqrt(fan-in).
    /// </summary>
    internal static void Randomize(Module model)
    {
        var rng = new Random(11);
        foreach (var (key, t) in model.StateDict())
        {
            var span = t.Span;
            bool norm = key.EndsWith("running_var", StringComparison.Ordinal) || (t.Shape.Rank == 1 && key.EndsWith(".weight", StringComparison.Ordinal) && !key.StartsWith("fc", StringComparison.Ordinal));
            bool zero = t.Shape.Rank > 1 && !span.ContainsAnyExcept(0f);
            double bound = zero ? Math.Sqrt(3.0 * t.Shape[0] / t.Numel) : 0;
            for (int i = 0; i < span.Length; i++)
            {
                double u = rng.NextDouble();
                if (norm) span[i] = (float)(0.6 + 0.8 * u);
                else if (key.EndsWith("running_mean", StringComparison.Ordinal) || t.Shape.Rank == 1) span[i] = (float)(0.2 * (u - 0.5));
                else if (zero) span[i] = (float)(bound * (2 * u - 1));
            }
        }
    }

    /// <summary>The zoo model with <see cref="Randomize"/>'s values, its own random initialization skipped (Randomize overwrites it).</summary>
    internal static ResNet RandomModel(string name, int numClasses = 1000)
    {
        ResNet model;
        using (Initializers.SkipRandom()) model = Zoo.Create(name, numClasses: numClasses);
        Randomize(model);
        return model;
    }
}
