using ContextNets.Attention;
using ContextNets.Autograd;
using ContextNets.Models;
using ContextNets.Models.Inference;
using ContextNets.NN;
using ContextNets.Tests.Support;
using Xunit.Abstractions;

namespace ContextNets.Tests.LowPrecision;

/// <summary>Int8 attention blocks (simulated): the 8-bit rounding, the weights on the s8 grid, and what the option changes.</summary>
public class AttentionInt8Tests(ITestOutputHelper output)
{
    [Fact]
    public void RoundsToTheGridOfTheTensorsOwnRange()
    {
        using var scope = Tensor.Scope();
        // s8: s = 1 / 127; 0.3 * 127 = 38.1 rounds to 38, 0.26 * 127 = 33.02 to 33, -0.7 * 127 = -88.9 to -89.
        Expect([-1f, 38 / 127f, 33 / 127f, -89 / 127f], Tensor.FromArray([-1f, 0.3f, 0.26f, -0.7f], 1, 1, 2, 2));
        // u8 (nothing negative): s = 2 / 255; 0.3 * 127.5 = 38.25 rounds to 38, 0.7 * 127.5 = 89.25 to 89.
        Expect([0f, 2f, 38 * 2 / 255f, 89 * 2 / 255f], Tensor.FromArray([0f, 2f, 0.3f, 0.7f], 1, 1, 2, 2));
    }

    // q s in f32 is within a few ulps (below 1e-6 here) of the exact grid value.
    private static void Expect(float[] expected, Tensor x)
    {
        var actual = AttentionInt8Step.RoundTrip(x).ToArray();
        for (int i = 0; i < expected.Length; i++) Assert.Equal(expected[i], actual[i], 1e-6);
    }

    [Theory]
    [InlineData("gc_resnet20", 9)]
    [InlineData("splat_resnet20", 9)]
    [InlineData("nl_resnet20", 1)]
    public void QuantizesEveryBlocksOwnConvsOnly(string name, int blocks)
    {
        using var model = Zoo.Create(name);
        // The zoo zero-initializes the last conv of GC's transform and NL's output BN (the blocks start as the
        // identity): random values everywhere make every block contribute.
        Models.InferenceModelTests.Randomize(model);
        using var scope = Tensor.Scope();
        using var noGrad = GradMode.NoGrad();
        var calibration = Tensor.Randn([2, 1, 28, 28], 5);
        var plainOptions = new InferenceOptions { Precision = Precision.Int8, Calibration = calibration, MinSqnrDb = 0 };
        using var plain = model.Prepare(plainOptions);
        using var int8 = model.Prepare(new InferenceOptions { Precision = Precision.Int8, Calibration = calibration, MinSqnrDb = 0, Int8Attention = true });
        Assert.Equal(blocks, int8.AttentionErrors.Count);
        foreach (var b in int8.AttentionErrors) output.WriteLine($"{name} {b.Block}: {b.SqnrDb:F1} dB, contribution {b.ContributionSqnrDb:F1} dB");
        Assert.All(int8.AttentionErrors, b => Assert.True(double.IsFinite(b.SqnrDb) && b.SqnrDb > 0, $"{b.Block}: {b.SqnrDb}"));
        // The backbone's convs are the same in both; every attention conv outside them holds s8 values times its
        // per-channel scale in the prepared copy, and the source model keeps its f32 weights.
        Assert.Equal(plain.Quantization!.ToJson(), int8.Quantization!.ToJson());
        var folded = int8.Convs.Select(c => c.Source).ToHashSet();
        var attention = int8.Snapshot.NamedModules().Where(m => m.module is IBlockFacets)
            .SelectMany(m => m.module.NamedModules(m.name)).Where(m => m.module is Conv2d c && !folded.Contains(c)).ToList();
        Assert.NotEmpty(attention);
        var original = model.NamedModules().ToDictionary(m => m.name, m => m.module);
        foreach (var (path, module) in attention)
        {
            var w = ((Conv2d)module).Weight.ToArray();
            var source = ((Conv2d)original[path]).Weight.ToArray();
            var scales = LowPrecisionConv.WeightScales(source, ((Conv2d)module).OutChannels);
            int perOut = w.Length / scales.Length;
            for (int i = 0; i < w.Length; i++)
            {
                float q = w[i] / scales[i / perOut];
                Assert.True(Math.Abs(q - MathF.Round(q)) < 1e-3 && Math.Abs(q) <= 127.001f, $"{path}[{i}] = {w[i]} is not on the s8 grid");
            }
            Assert.NotEqual(source, w);
        }
        var x = Tensor.Randn([1, 1, 28, 28], 6);
        Assert.NotEqual(plain.Predict(x).ToArray(), int8.Predict(x).ToArray());
    }

    [Fact]
    public void IsRefusedOutsideInt8()
    {
        using var model = Zoo.Create("gc_resnet20");
        var e = Assert.Throws<ArgumentException>(() => model.Prepare(new InferenceOptions { Precision = Precision.Bf16, Int8Attention = true }));
        Assert.Contains("Precision = Int8", e.Message);
    }
}
