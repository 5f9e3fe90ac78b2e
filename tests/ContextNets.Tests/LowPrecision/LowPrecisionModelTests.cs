using ContextNets.Autograd;
using ContextNets.IO;
using ContextNets.Models;
using ContextNets.Models.Inference;
using ContextNets.Tests.Support;
using Xunit.Abstractions;

namespace ContextNets.Tests.LowPrecision;

/// <summary>
/// Prepared models in bf16 and int8: every folded conv lowered (bf16 on oneDNN's avx512_core_bf16 kernels where the
/// CPU has them), deterministic int8 scales, refused calibration data, and a saved int8 model that reloads without
/// calibrating to the same logits.
/// </summary>
public class LowPrecisionModelTests(ITestOutputHelper output)
{
    [Theory]
    [InlineData("gc_resnet20", 28)]
    [InlineData("sk_resnet20", 28)]
    [InlineData("splat_resnet20", 28)]
    public void Bf16LowersEveryConvAndKeepsTheClass(string name, int size)
    {
        using var model = Zoo.Create(name);
        using var fp32 = model.Prepare();
        using var bf16 = model.Prepare(new InferenceOptions { Precision = Precision.Bf16 });
        Assert.All(bf16.Convs, c => Assert.Equal(Precision.Bf16, c.Precision));
        using var scope = Tensor.Scope();
        using var noGrad = GradMode.NoGrad();
        var x = Tensor.Randn([4, model.Config.InChannels, size, size], 3);
        var (a, b) = (fp32.Predict(x).ToArray(), bf16.Predict(x).ToArray());
        double cosine = a.Zip(b).Sum(p => (double)p.First * p.Second) / Math.Sqrt(a.Sum(v => (double)v * v) * b.Sum(v => (double)v * v));
        output.WriteLine($"{name}: cosine of bf16 and f32 logits {cosine:F6}");
        if (Engine.OneDnnIsa is "avx512_core_bf16" or "avx512_core_amx")
        {
            // Convs[1] is the first block's first conv: a plain 3x3 (gc), the selective kernel's paths (sk), or
            // split attention's grouped conv (splat).
            Assert.Contains("bf16", bf16.Convs[1].LoweredImplementation(4, size, size));
            // A geometry of another conv is refused in words, not by oneDNN's weight reorder ("invalid arguments").
            var e = Assert.Throws<ArgumentException>(() => bf16.Convs[1].Lowered!.Implementation(new ContextNets.Backend.Dnnl.ConvGeometry(4, 16, size, size, 7, 3, 3, 1, 1, 1, 1, 1, 1, 1)));
            Assert.Contains("does not fit", e.Message);
        }
    }

    [Fact]
    public void Int8ScalesAreDeterministicAndReloadWithoutCalibration()
    {
        using var model = Zoo.Create("gc_resnet20");
        using var scope = Tensor.Scope();
        using var noGrad = GradMode.NoGrad();
        var calibration = Tensor.Randn([24, 1, 28, 28], 5);
        var options = new InferenceOptions { Precision = Precision.Int8, Calibration = calibration, CalibrationBatchSize = 10, Method = CalibrationMethod.Percentile };
        using var first = model.Prepare(options);
        using var second = model.Prepare(options);
        Assert.Equal(first.Quantization!.ToJson(), second.Quantization!.ToJson());
        Assert.Equal(first.Convs.Count, first.Quantization.Layers.Count);
        var x = Tensor.Randn([3, 1, 28, 28], 6);
        var expected = first.Predict(x).ToArray();
        Assert.Equal(expected, second.Predict(x).ToArray());

        string path = Path.Combine(Path.GetTempPath(), $"ctxnet-int8-{Guid.NewGuid():N}.safetensors");
        try
        {
            first.Save(path);
            using var reloaded = Zoo.Create("gc_resnet20");
            reloaded.Load(path);
            using var again = reloaded.Prepare(new InferenceOptions { Precision = Precision.Int8, Quantization = QuantizationTable.Read(path) });
            Assert.Equal(first.Quantization.ToJson(), again.Quantization!.ToJson());
            Assert.Equal(expected, again.Predict(x).ToArray());
            var shorter = new QuantizationTable(first.Quantization.Method, [.. first.Quantization.Layers.Skip(1)]);
            var e = Assert.Throws<ArgumentException>(() => reloaded.Prepare(new InferenceOptions { Precision = Precision.Int8, Quantization = shorter }));
            Assert.Contains("another model", e.Message);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void EmptyOrNonFiniteCalibrationIsRefused()
    {
        using var model = Zoo.Create("resnet20");
        var e = Assert.Throws<ArgumentException>(() => model.Prepare(new InferenceOptions { Precision = Precision.Int8 }));
        Assert.Contains("calibration images", e.Message);
        using var empty = Tensor.Zeros([0, 1, 28, 28]);
        e = Assert.Throws<ArgumentException>(() => model.Prepare(new InferenceOptions { Precision = Precision.Int8, Calibration = empty }));
        Assert.Contains("N >= 1", e.Message);
        var values = new float[2 * 28 * 28];
        values[100] = float.NaN;
        using var nan = Tensor.FromArray(values, 2, 1, 28, 28);
        e = Assert.Throws<ArgumentException>(() => model.Prepare(new InferenceOptions { Precision = Precision.Int8, Calibration = nan }));
        Assert.Contains("not finite (NaN at element 100)", e.Message);
    }

    [Fact]
    public void Int8KeepsEveryConvAboveTheSqnrThresholdOrFallsBack()
    {
        using var model = Zoo.Create("gc_resnet20");
        using var scope = Tensor.Scope();
        var calibration = Tensor.Randn([8, 1, 28, 28], 5);
        using var strict = model.Prepare(new InferenceOptions { Precision = Precision.Int8, Calibration = calibration, MinSqnrDb = 1000 });
        // Every conv whose int8 output differs at all from its f32 output falls back (an exact one has infinite SQNR).
        Assert.All(strict.Convs.Zip(strict.Quantization!.Layers), p => Assert.Equal(double.IsPositiveInfinity(p.Second.SqnrDb) ? Precision.Int8 : Precision.Fp32, p.First.Precision));
        using var loose = model.Prepare(new InferenceOptions { Precision = Precision.Int8, Calibration = calibration, MinSqnrDb = 0 });
        Assert.All(loose.Convs, c => Assert.Equal(Precision.Int8, c.Precision));
        foreach (var l in loose.Quantization!.Layers) output.WriteLine($"{l.Conv}: {l.SqnrDb:F1} dB");
    }
}
