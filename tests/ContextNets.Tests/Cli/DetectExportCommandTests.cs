using ContextNets.Detection;
using ContextNets.Detection.Boxes;
using ContextNets.Tests.Support;
using ContextNets.Training;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace ContextNets.Tests.Cli;

/// <summary>
/// `ctxnet export` of a detector: a detector's name with --input-size writes a graph that ONNX Runtime loads with
/// the input `x` [3, H, W] and the outputs of `ctxnet run` (boxes, scores, labels as int64, masks [N, 1, H, W]); a
/// detection run's export carries its class names and finds, under ONNX Runtime, what its `last` weights find in
/// process with the run's settings; and what a detector's graph cannot be is refused in one line, exit 2, with
/// nothing written. Each case starts the tool,
/// and the export builds a detector (seconds on a loaded machine), so the class is in the external tier.
/// </summary>
[Trait(Tier.Key, Tier.External)]
public sealed class DetectExportCommandTests : IDisposable
{
    private readonly ContextNets.Tests.Data.TempDir _tmp = new();

    public void Dispose() => _tmp.Dispose();

    [Fact]
    public void ADetectorsNameExportsTheRunOutputs()
    {
        string path = _tmp.File("det.onnx");
        var (code, stdout, stderr) = CliProcess.Run($"export maskrcnn_resnet18_fpn --input-size 64x80 --onnx {path}", timeoutSeconds: 300);
        Assert.True(code == 0, stderr + stdout);
        Assert.Contains("random initialization", stdout);
        using var session = new InferenceSession(path);
        var input = Assert.Single(session.InputMetadata);
        Assert.Equal("x", input.Key);
        Assert.Equal([3, 64, 80], input.Value.Dimensions);
        Assert.Equal(["boxes", "scores", "labels", "masks"], session.OutputMetadata.Keys);
        Assert.Equal(typeof(long), session.OutputMetadata["labels"].ElementType);
        Assert.Equal([-1, 1, 64, 80], session.OutputMetadata["masks"].Dimensions);
        Assert.Equal("detections", session.OutputMetadata["masks"].SymbolicDimensions[0]);
    }

    [Fact]
    public void ARunExportsItsLastCheckpointWithItsClassNames()
    {
        const int h = 40, w = 48;
        string run = _tmp.File("run"), path = _tmp.File("run.onnx");
        Directory.CreateDirectory(run);
        File.WriteAllText(Path.Combine(run, "detect.json"), """{"Model": "maskrcnn_resnet18_fpn", "ImageSize": 64, "ClassNames": ["background", "square", "bar"]}""");
        // The recipe's inference settings at --det-image-size 64 (DetectRecipe.Settings).
        var settings = new DetectorSettings { MinSize = 64, MaxSize = 64, RpnPreNmsTopNTest = 500, RpnPostNmsTopNTest = 300, BoxDetectionsPerImage = 50 };
        using var model = DetectionZoo.Create("maskrcnn_resnet18_fpn", 3, settings, seed: 8, fromScratch: true);
        Checkpoint.Save(run, "last", model, new TrainingState { Epoch = 1 });

        var (code, stdout, stderr) = CliProcess.Run($"export {run} --input-size {h}x{w} --onnx {path}", timeoutSeconds: 300);
        Assert.True(code == 0, stderr + stdout);
        Assert.Contains("('last', epoch 1)", stdout);
        using var session = new InferenceSession(path);
        Assert.Equal("background,square,bar", session.ModelMetadata.CustomMetadataMap["classes"]);
        var image = new float[3 * h * w];
        for (int i = 0; i < image.Length; i++) image[i] = (i * 7919 % 251) / 250f;
        using var results = session.Run([NamedOnnxValue.CreateFromTensor("x", new DenseTensor<float>(image, [3, h, w]))]);
        var boxes = results.First(r => r.Name == "boxes").AsTensor<float>().ToArray();
        var labels = results.First(r => r.Name == "labels").AsTensor<long>().ToArray();
        model.Eval();
        Detections ours;
        using (Tensor.Scope()) ours = model.Detect([Tensor.FromArray(image, 3, h, w)])[0];
        Assert.True(ours.Count > 0, "the random detector finds nothing: the comparison would be empty");
        Assert.Equal(ours.Count, labels.Length);
        for (int i = 0; i < ours.Count; i++)
        {
            Assert.Equal(ours.Labels[i], labels[i]);
            Assert.True(BoxOps.Iou(ours.Boxes, i, boxes, i) >= 0.99, $"detection {i}: IoU {BoxOps.Iou(ours.Boxes, i, boxes, i)}");
        }
    }

    [Theory]
    [InlineData("maskrcnn_resnet18_fpn --dynamic-batch", "--dynamic-batch does not apply")]
    [InlineData("maskrcnn_resnet18_fpn --precision int8", "Detectors are exported in float32 only")]
    [InlineData("maskrcnn_resnet18_fpn --input-size 64", "--input-size takes HxW")]
    [InlineData("maskrcnn_resnet18_fpn --input-size 0x80", "must be positive and at most 8192")]
    [InlineData("maskrcnn_resnet18_fpn --input-size 64x80 --image-size 64", "Give the detector's input size once")]
    [InlineData("maskrcnn_resnet18_fpn --weights missing.safetensors", "does not exist")]
    [InlineData("resnet18 --input-size 64x80", "--input-size HxW is for detectors")]
    public void BadRequestsAreRefused(string request, string message)
    {
        string path = _tmp.File("det.onnx");
        var (code, _, stderr) = CliProcess.Run($"export {request} --onnx {path}", timeoutSeconds: 120);
        Assert.Equal(2, code);
        Assert.Contains(message, stderr);
        Assert.DoesNotContain("   at ", stderr);
        Assert.Single(stderr.Trim().Split('\n'));
        Assert.False(File.Exists(path), $"{path} was written");
    }
}
