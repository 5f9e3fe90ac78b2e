using System.Text.Json;
using ContextNets.Data;
using ContextNets.Data.Augment;
using ContextNets.Data.Transforms;
using ContextNets.Tests.Support;

namespace ContextNets.Tests.Data;

/// <summary>
/// Our ops against what torchvision 0.14 with PIL 9.4 computed (tests/testdata/augment/make_vectors.py):
/// every AutoAugment/RandAugment op on an RGB and a gray image, the resize, and the magnitude tables.
/// </summary>
public class TorchvisionVectorTests
{
    private static readonly JsonElement Root = JsonDocument.Parse(File.ReadAllText(
        Path.Combine(TestData.RepoRoot, "tests", "testdata", "augment", "augment.json"))).RootElement;

    private static Image8 Input(string name)
    {
        var e = Root.GetProperty("images").GetProperty(name);
        int h = e.GetProperty("height").GetInt32(), w = e.GetProperty("width").GetInt32();
        var px = Convert.FromBase64String(e.GetProperty("pixels").GetString()!);
        return new Image8(w, h, px.Length / (w * h), px);
    }

    public static TheoryData<int> OpCases => new(Enumerable.Range(0, Root.GetProperty("ops").GetArrayLength()));

    [Fact]
    public void EqualizeVectorsAreNotTheIdentity()
    {
        var c = Root.GetProperty("ops").EnumerateArray().First(o => o.GetProperty("op").GetString() == "Equalize" && o.GetProperty("image").GetString() == "big_rgb");
        Assert.NotEqual(Input("big_rgb").Pixels, Convert.FromBase64String(c.GetProperty("out").GetString()!));
    }

    [Theory]
    [MemberData(nameof(OpCases))]
    public void OpMatchesTorchvisionOnPil(int index)
    {
        var c = Root.GetProperty("ops")[index];
        string op = c.GetProperty("op").GetString()!, image = c.GetProperty("image").GetString()!;
        double m = c.GetProperty("magnitude").GetDouble();
        var expected = Convert.FromBase64String(c.GetProperty("out").GetString()!);
        var actual = AugmentOps.Apply(Input(image), Enum.Parse<AugmentOp>(op), m).Pixels;
        int diff = Enumerable.Range(0, expected.Length).Count(i => expected[i] != actual[i]);
        if (diff > 0)
        {
            int first = Enumerable.Range(0, expected.Length).First(i => expected[i] != actual[i]);
            Assert.Fail($"{op}({m}) on {image}: {diff} of {expected.Length} samples differ; the first is sample {first}: {actual[first]}, torchvision {expected[first]}");
        }
    }

    /// <summary>torchvision rounds float32 sums, we round float64 ones: a sum within float32 error of a half may round the other way.</summary>
    [Fact]
    public void ResizeMatchesTorchvisionAntialiasedBilinear()
    {
        foreach (var c in Root.GetProperty("resize").EnumerateArray())
        {
            int h = c.GetProperty("height").GetInt32(), w = c.GetProperty("width").GetInt32();
            string image = c.GetProperty("image").GetString()!;
            var expected = Convert.FromBase64String(c.GetProperty("out").GetString()!);
            var actual = Resize.Run(Input(image), h, w).Pixels;
            Assert.Equal(expected.Length, actual.Length);
            for (int i = 0; i < expected.Length; i++)
                Assert.True(Math.Abs(expected[i] - actual[i]) <= 1, $"resize {image} to {h}x{w}: sample {i} is {actual[i]}, torchvision {expected[i]}");
            int off = Enumerable.Range(0, expected.Length).Count(i => expected[i] != actual[i]);
            Assert.True(off * 50 <= expected.Length, $"resize {image} to {h}x{w}: {off} of {expected.Length} samples are off by one");
        }
    }

    /// <summary>
    /// torch.linspace's vectorized CPU kernel builds the second half from a per-vector base plus lane steps, so its last
    /// bit depends on the vector width of the machine; ours is the scalar formula. They agree to one float32 ulp.
    /// </summary>
    [Fact]
    public void MagnitudeTablesMatchTorch()
    {
        var mags = Root.GetProperty("magnitudes");
        void Same(string key, AugmentOp op, int bins)
        {
            var expected = mags.GetProperty(key).EnumerateArray().Select(e => e.GetDouble()).ToArray();
            Assert.Equal(bins, expected.Length);
            for (int i = 0; i < bins; i++)
            {
                float actual = (float)AugmentOps.Magnitude(op, i, bins, 1, 1).magnitude, e = (float)expected[i];
                Assert.True(actual == e || Math.Abs(actual - e) <= MathF.BitIncrement(Math.Abs(e)) - Math.Abs(e),
                    $"{key}[{i}]: {actual:G9}, torch {e:G9}");
            }
        }
        Same("linspace_0_0.3_10", AugmentOp.ShearX, 10);
        Same("linspace_0_0.9_31", AugmentOp.Color, 31);
        Same("linspace_255_0_10", AugmentOp.Solarize, 10);
        Same("posterize_10", AugmentOp.Posterize, 10);
        Same("posterize_31", AugmentOp.Posterize, 31);
    }
}
