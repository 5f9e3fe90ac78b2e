using ContextNets.Attention;
using ContextNets.Autograd;
using ContextNets.Export;
using ContextNets.Models;
using ContextNets.NN;
using Xunit.Abstractions;

namespace ContextNets.Tests.Export;

/// <summary>A block to export: its kind and JSON config (the names of reference/blocks.py) and the input it gets.</summary>
public sealed record BlockCase(string Kind, string Json, int[] Input)
{
    public Module Create() => Blocks.FromConfig(Kind, Json);

    public override string ToString() => $"{Kind} {Json} {Shape.Format(Input)}";
}

/// <summary>What the export tests share: the blocks in every configuration, weights that exercise every path, our forward, and the error measure.</summary>
internal static class OnnxCases
{
    /// <summary>Every attention block and each of its modes: GC's poolings and fusions, NL's four modes with and without sub-sampling (and with its norm), split attention at radix 1, 2 and 4 with groups and stride, selective kernels with and without split input, criss-cross attention at recurrence 1 to 3 (one column included).</summary>
    public static readonly BlockCase[] Blocks =
    [
        new("gc", """{"channels": 32}""", [2, 32, 9, 7]),
        new("gc", """{"channels": 32, "fuse_add": false, "fuse_scale": true, "rd_ratio": 0.25}""", [2, 32, 6, 6]),
        new("gc", """{"channels": 32, "fuse_add": true, "fuse_scale": true, "rd_ratio": 0.125, "ln_eps": 1e-5}""", [2, 32, 5, 8]),
        new("gc", """{"channels": 24, "use_attn": false, "rd_ratio": 0.25}""", [2, 24, 7, 7]),
        new("gc", """{"channels": 24, "use_attn": false, "fuse_add": false, "fuse_scale": true, "rd_channels": 4}""", [2, 24, 4, 5]),
        new("snl", """{"channels": 32}""", [2, 32, 7, 9]),
        new("se", """{"channels": 32}""", [2, 32, 6, 5]),
        new("se", """{"channels": 48, "rd_ratio": 0.25, "rd_divisor": 4}""", [2, 48, 3, 3]),
        new("nl", """{"channels": 16, "mode": "gaussian"}""", [2, 16, 6, 5]),
        new("nl", """{"channels": 16, "mode": "gaussian", "sub_sample": true}""", [2, 16, 7, 6]),
        new("nl", """{"channels": 16, "mode": "embedded_gaussian"}""", [2, 16, 6, 6]),
        new("nl", """{"channels": 16, "mode": "embedded_gaussian", "sub_sample": true, "use_scale": false}""", [2, 16, 9, 7]),
        new("nl", """{"channels": 16, "mode": "embedded_gaussian", "sub_sample": true, "norm": true}""", [2, 16, 8, 8]),
        new("nl", """{"channels": 16, "mode": "dot_product"}""", [2, 16, 5, 6]),
        new("nl", """{"channels": 16, "mode": "dot_product", "sub_sample": true, "reduction": 4}""", [2, 16, 6, 7]),
        new("nl", """{"channels": 16, "mode": "concatenation"}""", [2, 16, 5, 5]),
        new("nl", """{"channels": 16, "mode": "concatenation", "sub_sample": true, "norm": true}""", [2, 16, 6, 9]),
        new("splat", """{"cin": 32, "radix": 1}""", [2, 32, 7, 7]),
        new("splat", """{"cin": 32, "radix": 2}""", [2, 32, 8, 6]),
        new("splat", """{"cin": 32, "cout": 48, "radix": 2, "groups": 2, "stride": 2}""", [2, 32, 9, 9]),
        new("splat", """{"cin": 64, "radix": 4, "groups": 2}""", [2, 64, 5, 5]),
        new("sk", """{"in_channels": 32, "rd_ratio": 0.125, "rd_divisor": 16}""", [2, 32, 7, 7]),
        new("sk", """{"in_channels": 32, "out_channels": 48, "stride": 2, "split_input": false}""", [2, 32, 9, 8]),
        new("sk", """{"in_channels": 48, "kernel_size": [3, 5, 7], "groups": 2, "keep_3x3": false}""", [2, 48, 8, 8]),
        new("cca", """{"channels": 16}""", [2, 16, 5, 7]),
        new("cca", """{"channels": 32, "recurrence": 1}""", [2, 32, 6, 1]),
        new("cca", """{"channels": 24, "recurrence": 3}""", [2, 24, 6, 4]),
    ];

    /// <summary>
    /// Random values where the initialization leaves a path silent (zeroed last convs and BN gammas would make GC,
    /// NL and the residual branches identities) and BatchNorm statistics that are not the identity, so that every
    /// node of the exported graph changes the output.
    /// </summary>
    public static void Randomize(Module model, int seed)
    {
        var rng = new Rng((ulong)seed);
        float[] Draw(Tensor t, Func<double> draw)
        {
            var v = new float[t.Numel];
            for (int i = 0; i < v.Length; i++) v[i] = (float)draw();
            return v;
        }
        foreach (var (_, m) in model.NamedModules())
            if (m is BatchNorm bn)
            {
                bn.Weight.CopyFrom(Draw(bn.Weight, () => rng.Uniform(0.5, 1.5)));
                bn.Bias.CopyFrom(Draw(bn.Bias, () => 0.2 * rng.Normal()));
                bn.RunningMean.CopyFrom(Draw(bn.RunningMean, () => 0.2 * rng.Normal()));
                bn.RunningVar.CopyFrom(Draw(bn.RunningVar, () => rng.Uniform(0.5, 1.5)));
            }
        // Uniform draws: a tenth of the cost of normal ones, which matters for models built without their random
        // initialization (RandomModel). Kernels get a spread of 1 / sqrt(fan-in); vectors and scalars (biases, the
        // gammas that scale an attention branch) a magnitude of 0.1 to 0.3 with either sign, never near zero.
        // Kernels are drawn in a plain loop rather than through a delegate: an ImageNet model has tens of millions.
        foreach (var (_, p) in model.NamedParameters())
        {
            var values = p.ToArray();
            if (values.AsSpan().ContainsAnyExcept(0f)) continue;
            if (p.Shape.Rank <= 1) p.CopyFrom(Draw(p, () => (rng.Uniform(0, 1) < 0.5 ? -1 : 1) * rng.Uniform(0.1, 0.3)));
            else
            {
                double bound = Math.Sqrt(3.0 * p.Shape[0] / p.Numel);
                for (int i = 0; i < values.Length; i++) values[i] = (float)rng.Uniform(-bound, bound);
                p.CopyFrom(values);
            }
        }
    }

    /// <summary>
    /// The zoo model <paramref name="name"/> with every parameter drawn by <see cref="Randomize"/>: its own random
    /// initialization is skipped, since Randomize would overwrite it anyway and an ImageNet model's takes a second.
    /// </summary>
    public static Module RandomModel(string name, int seed)
    {
        Module model;
        using (Initializers.SkipRandom()) model = Zoo.Create(name);
        Randomize(model, seed);
        return model;
    }

    /// <summary>Our eval-mode forward on <paramref name="input"/>, as row-major values.</summary>
    public static (float[] values, int[] shape) Forward(Module model, float[] input, int[] shape)
    {
        model.Eval();
        using var scope = Tensor.Scope();
        using var noGrad = GradMode.NoGrad();
        var y = model.Forward(Tensor.FromArray(input, shape));
        return (y.ToArray(), y.Shape.Dims.ToArray());
    }

    /// <summary>
    /// Runs <paramref name="model"/> and ONNX Runtime on one seeded input of <paramref name="shape"/> and asserts their
    /// outputs agree to <paramref name="tolerance"/> of ours' scale (<see cref="RelativeError"/>), writing the error.
    /// </summary>
    public static void AssertMatches(OnnxTools tools, ITestOutputHelper output, string what, Module model, string path, int[] shape, int seed, double tolerance)
    {
        var x = Input(shape, seed);
        var (ours, ourShape) = Forward(model, x, shape);
        var (theirs, theirShape) = tools.Run(path, x, shape);
        Assert.Equal(ourShape, theirShape);
        double err = RelativeError(ours, theirs);
        output.WriteLine($"{what} at {Shape.Format(shape)}: max |ort - ours| / max |ours| = {err:G3} (scale {ours.Max(v => Math.Abs(v)):G4})");
        Assert.True(err <= tolerance, $"{what} at {Shape.Format(shape)}: ONNX Runtime differs by {err:G3} of the output's scale (tolerance {tolerance:G2}).");
    }

    public static float[] Input(int[] shape, int seed)
    {
        var rng = new Rng((ulong)seed);
        var v = new float[shape.Aggregate(1, (a, d) => a * d)];
        for (int i = 0; i < v.Length; i++) v[i] = (float)rng.Normal();
        return v;
    }

    /// <summary>
    /// The error of <paramref name="actual"/> relative to the scale of <paramref name="expected"/>:
    /// max_i |actual_i - expected_i| / max_i |expected_i|.
    /// </summary>
    public static double RelativeError(float[] expected, float[] actual)
    {
        Assert.Equal(expected.Length, actual.Length);
        double scale = expected.Max(v => Math.Abs((double)v)), worst = 0;
        Assert.True(scale > 0, "the expected output is all zeros");
        for (int i = 0; i < expected.Length; i++) worst = Math.Max(worst, Math.Abs((double)actual[i] - expected[i]));
        return worst / scale;
    }

    /// <summary>The exported file's bytes, written to memory.</summary>
    public static byte[] Bytes(Module model, OnnxExportOptions options)
    {
        using var stream = new MemoryStream();
        model.ExportOnnx(stream, options);
        return stream.ToArray();
    }

    /// <summary>Exports <paramref name="model"/> to a file in <paramref name="dir"/> and returns its path.</summary>
    public static string Export(Module model, string dir, string name, OnnxExportOptions options)
    {
        string path = Path.Combine(dir, name + ".onnx");
        model.ExportOnnx(path, options);
        return path;
    }
}
