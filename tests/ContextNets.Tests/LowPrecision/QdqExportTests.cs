using System.Runtime.InteropServices;
using ContextNets.Autograd;
using ContextNets.Export;
using ContextNets.Export.Proto;
using ContextNets.Models;
using ContextNets.Models.Inference;
using ContextNets.NN;
using ContextNets.Tests.Data;
using ContextNets.Tests.Export;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using Xunit.Abstractions;

namespace ContextNets.Tests.LowPrecision;

/// <summary>
/// The int8 QDQ export of a prepared model, read back and run by ONNX Runtime (CPU, in process).
/// <para>
/// The file holds the prepared model's own integers: per conv, the s8 weights and their per-channel scales are those
/// of the model's int8 kernel, computed here independently from the folded weights (max |w[o]| / 127, round half to
/// even), and the bias is round(b / (s_x s_w[o])) in s32.
/// </para>
/// <para>
/// ONNX Runtime's logits and ours come from the same quantized network, so they disagree only where a value lies
/// within rounding of a quantization boundary (one step then, one side each) and by the bias's fraction (at most half
/// a unit of s_x s_w[o]). Both are fractions of the quantization's own error, which moves every quantized value by up
/// to half a step: the bound is therefore the int8 model's own distance from f32, max |ours_int8 - ours_f32|. A wrong
/// scale, zero point, axis or bias in the file breaks it by orders of magnitude.
/// </para>
/// </summary>
public sealed class QdqExportTests(ITestOutputHelper output) : IDisposable
{
    private readonly TempDir _tmp = new();

    public void Dispose() => _tmp.Dispose();

    /// <summary>
    /// A ResNet-D (deep stem, avg-down), a GC network and a split-attention one. ONNX Runtime fuses a QDQ conv into
    /// QLinearConv only when its output (after ReLU) feeds nothing but the next conv's Q; split attention's convs all
    /// feed the radix gate, so none of that network's fuses.
    /// </summary>
    [Theory]
    [InlineData("resnet-d-small", true)]
    [InlineData("gc_resnet20", true)]
    [InlineData("splat_resnet20", false)]
    public void OnnxRuntimeRunsTheInt8GraphAsOurInt8Model(string name, bool fuses)
    {
        using var model = Create(name);
        OnnxCases.Randomize(model, 21);
        int c = model.Config.InChannels, size = name == "resnet-d-small" ? 40 : 28;
        using var scope = Tensor.Scope();
        using var noGrad = GradMode.NoGrad();
        var calibration = Tensor.Randn([16, c, size, size], 31);
        using var fp32 = model.Prepare();
        using var int8 = model.Prepare(new InferenceOptions { Precision = Precision.Int8, Calibration = calibration, MinSqnrDb = 0 });
        string path = Path.Combine(_tmp.Path, name + ".onnx");
        int[] shape = [3, c, size, size];
        var summary = int8.ExportOnnx(path, new OnnxExportOptions { InputShape = new Shape(shape) });
        Assert.True(summary.OpCounts["QuantizeLinear"] > 0);
        Assert.Equal(int8.Convs.Count, CountQdqConvs(path));

        CheckIntegers(int8, path);

        var x = OnnxCases.Input(shape, 32);
        using var input = Tensor.FromArray(x, shape);
        var ours = int8.Predict(input).ToArray();
        var reference = fp32.Predict(input).ToArray();
        var (theirs, fused) = RunOnnxRuntime(path, x, shape);
        double disagreement = MaxDifference(ours, theirs), quantization = MaxDifference(ours, reference);
        output.WriteLine($"{name}: max |ort_int8 - ours_int8| = {disagreement:G3}, max |ours_int8 - ours_f32| = {quantization:G3}, " +
            $"{int8.Convs.Count} int8 convs, ONNX Runtime fused {fused} of them into QLinearConv");
        Assert.True(quantization > 0, "the int8 model equals f32: nothing was quantized");
        Assert.True(disagreement <= quantization, $"{name}: ONNX Runtime's int8 logits differ from ours by {disagreement:G3}, more than int8 moves ours from f32 ({quantization:G3}).");
        if (fuses) Assert.True(fused > 0, "ONNX Runtime ran no conv as QLinearConv: the graph is not in the form its QDQ fusion reads.");
    }

    [Fact]
    public void Bf16IsRefusedAndFp32IsTheSourceModelsGraph()
    {
        using var model = Zoo.Create("resnet20");
        using var bf16 = model.Prepare(new InferenceOptions { Precision = Precision.Bf16 });
        var options = new OnnxExportOptions { InputShape = new Shape(1, 1, 28, 28) };
        var e = Assert.Throws<NotSupportedException>(() => bf16.ExportOnnx(Path.Combine(_tmp.Path, "bf16.onnx"), options));
        Assert.Contains("no bf16 Conv kernel", e.Message);
        using var fp32 = model.Prepare();
        using var prepared = new MemoryStream();
        fp32.ExportOnnx(prepared, options);
        Assert.Equal(OnnxCases.Bytes(model, options), prepared.ToArray());
    }

    private static ResNet Create(string name)
    {
        if (name != "resnet-d-small") return Zoo.Create(name, seed: 4);
        Initializers.Seed(4);
        return new ResNet(ResNets.ResNet50D(10) with { Layers = [1, 1, 1], Channels = [8, 16, 32], StemWidth = 8 });
    }

    // A QDQ conv reads its input, weights and bias from DequantizeLinear nodes, whose outputs are named after the op.
    private static int CountQdqConvs(string path) =>
        ModelProto.Parser.ParseFrom(File.ReadAllBytes(path)).Graph.Node.Count(n => n.OpType == "Conv" && n.Input.All(i => i.Contains("DequantizeLinear", StringComparison.Ordinal)));

    /// <summary>Every int8 conv's s8 weights and s32 bias in the file against the ones computed here from its folded weights and input scale.</summary>
    private static void CheckIntegers(InferenceModel model, string path)
    {
        var init = ModelProto.Parser.ParseFrom(File.ReadAllBytes(path)).Graph.Initializer.ToDictionary(t => t.Name);
        var weights = init.Values.Where(t => t.Name.EndsWith(".weight_quantized", StringComparison.Ordinal)).ToList();
        Assert.Equal(model.Convs.Count, weights.Count);
        foreach (var conv in model.Convs)
        {
            string stem = ModelPath(model, conv);
            float[] folded = conv.FoldedWeight.ToArray(), bias = conv.FoldedBias.ToArray();
            int cout = conv.OutChannels, per = folded.Length / cout;
            var q = MemoryMarshal.Cast<byte, sbyte>(init[stem + ".weight_quantized"].RawData.Span).ToArray();
            var b = MemoryMarshal.Cast<byte, int>(init[stem + ".bias_quantized"].RawData.Span).ToArray();
            for (int o = 0; o < cout; o++)
            {
                float step = folded.Skip(o * per).Take(per).Max(Math.Abs) / 127f;
                for (int i = 0; i < per; i++) Assert.Equal((sbyte)Math.Round(folded[o * per + i] / step, MidpointRounding.ToEven), q[o * per + i]);
                Assert.Equal((int)Math.Round(bias[o] / (double)(conv.Lowered!.Input.Scale * step), MidpointRounding.ToEven), b[o]);
            }
        }
    }

    private static string ModelPath(InferenceModel model, FoldedConv conv) =>
        model.Snapshot.NamedModules().Single(m => ReferenceEquals(m.module, conv.Source)).name;

    private static (float[] logits, int fused) RunOnnxRuntime(string path, float[] x, int[] shape)
    {
        string optimized = path + ".optimized.onnx";
        using var options = new SessionOptions { GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_EXTENDED, OptimizedModelFilePath = optimized };
        using var session = new InferenceSession(path, options);
        using var results = session.Run([NamedOnnxValue.CreateFromTensor(session.InputMetadata.Keys.First(), new DenseTensor<float>(x, shape))]);
        var logits = results.First().AsTensor<float>().ToArray();
        int fused = ModelProto.Parser.ParseFrom(File.ReadAllBytes(optimized)).Graph.Node.Count(n => n.OpType == "QLinearConv");
        return (logits, fused);
    }

    private static double MaxDifference(float[] a, float[] b) => a.Zip(b).Max(p => Math.Abs((double)p.First - p.Second));
}
