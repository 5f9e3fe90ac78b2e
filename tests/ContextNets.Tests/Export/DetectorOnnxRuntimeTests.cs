using ContextNets.Detection;
using ContextNets.Detection.Boxes;
using ContextNets.Export.Detection;
using ContextNets.Tests.Data;
using ContextNets.Tests.Support;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using Xunit.Abstractions;

namespace ContextNets.Tests.Export;

/// <summary>
/// A Mask R-CNN exported to ONNX (<see cref="DetectorOnnxExport"/>) passes onnx's full check and, run by ONNX Runtime
/// (CPU, in process), finds what our own <see cref="MaskRcnn.Detect"/> finds on the same random-weight detector and
/// image: the same number of detections in the same order, each box at IoU ≥ 0.99 with the same label, scores within
/// 1e-4 relative, mask probabilities within 1e-4, and every mask pixel cut at 0.5 the same way unless its
/// probability is within that measured difference of 0.5. One image is the detector's own size (no
/// resize, no padding), one is resized and padded, and a detector whose score threshold no box can pass gives N = 0
/// outputs of the right shapes. BatchNorm statistics and zero biases are randomized so that no path is silent, and the
/// class scores are spread (x8) so that the detections are not a near-tie of equal scores.
/// </summary>
[Collection(OnnxToolsCollection.Name)]
[Trait(Tier.Key, Tier.External)]
public sealed class DetectorOnnxRuntimeTests(OnnxTools tools, ITestOutputHelper output) : IDisposable
{
    private const double ScoreTolerance = 1e-4, MaskTolerance = 1e-4, MinIou = 0.99;
    private readonly TempDir _tmp = new();

    public void Dispose() => _tmp.Dispose();

    private static DetectorSettings Small(float scoreThreshold = 0.05f) => new()
    {
        MinSize = 96, MaxSize = 128, RpnPreNmsTopNTest = 200, RpnPostNmsTopNTest = 50, BoxDetectionsPerImage = 20, BoxScoreThreshold = scoreThreshold,
    };

    private static MaskRcnn Detector(string name, DetectorSettings settings)
    {
        var model = DetectionZoo.Create(name, 4, settings, seed: 3);
        OnnxCases.Randomize(model, 17);
        foreach (var (key, p) in model.NamedParameters())
            if (key == "roi_heads.box_predictor.cls_score.weight") p.CopyFrom([.. p.ToArray().Select(v => 8 * v)]);
        model.Eval();
        return model;
    }

    /// <summary>An image [3, h, w] in [0, 1]: a smooth gradient, two flat rectangles and noise.</summary>
    private static float[] Image(int h, int w, int seed)
    {
        var rng = new Rng((ulong)seed);
        var v = new float[3 * h * w];
        for (int c = 0; c < 3; c++)
            for (int y = 0; y < h; y++)
                for (int x = 0; x < w; x++)
                {
                    float value = 0.3f + 0.3f * x / w + 0.1f * c + 0.1f * (float)rng.NextDouble();
                    if (x > w / 5 && x < w / 2 && y > h / 6 && y < h / 2) value = 0.9f - 0.2f * c;
                    if (x > w / 2 && x < 4 * w / 5 && y > h / 2 && y < 5 * h / 6) value = 0.1f + 0.1f * c;
                    v[(c * h + y) * w + x] = value;
                }
        return v;
    }

    [Theory]
    [InlineData("maskrcnn_resnet18_fpn", 96, 128, 17)]
    [InlineData("gc_maskrcnn_resnet18_fpn", 75, 110, 13)]
    public void DetectionsMatchOnnxRuntime(string name, int h, int w, int opset)
    {
        using var model = Detector(name, Small());
        string path = _tmp.File(name + ".onnx");
        var summary = model.ExportOnnx(path, new DetectorOnnxOptions { Height = h, Width = w, Opset = opset });
        output.WriteLine($"{name} {h}x{w}: resized {summary.Resized}, padded {summary.Padded}, {summary.Nodes} nodes, opset {opset}");
        Assert.Null(tools.Check(path));
        var image = Image(h, w, 5);
        var ours = Ours(model, image, h, w);
        var theirs = Run(path, image, h, w);
        Assert.True(ours.Count > 0, "the random detector finds nothing: the comparison would be empty");
        Assert.Equal(ours.Count, theirs.Scores.Length);
        double boxError = 0, scoreError = 0, maskError = 0, undecided = 0;
        long maskDisagreements = 0;
        int plane = h * w;
        for (int i = 0; i < ours.Count; i++)
        {
            float iou = BoxOps.Iou(ours.Boxes, i, theirs.Boxes, i);
            Assert.True(iou >= MinIou, $"detection {i}: IoU {iou} between our box and ONNX Runtime's");
            Assert.Equal(ours.Labels[i], theirs.Labels[i]);
            scoreError = Math.Max(scoreError, Math.Abs(ours.Scores[i] - theirs.Scores[i]) / ours.Scores[i]);
            for (int c = 0; c < 4; c++) boxError = Math.Max(boxError, Math.Abs(ours.Boxes[4 * i + c] - theirs.Boxes[4 * i + c]));
            for (int p = 0; p < plane; p++)
            {
                float a = ours.Masks[i * plane + p], b = theirs.Masks[i * plane + p];
                maskError = Math.Max(maskError, Math.Abs(a - b));
                if (a > 0.5f == b > 0.5f) continue;
                maskDisagreements++;
                undecided = Math.Max(undecided, Math.Abs(a - 0.5));
            }
        }
        output.WriteLine($"{ours.Count} detections: max box error {boxError:G3} px, max relative score error {scoreError:G3}, " +
            $"max mask probability error {maskError:G3}, {maskDisagreements} mask pixels cut differently at 0.5 (at most {undecided:G3} from it)");
        Assert.True(scoreError <= ScoreTolerance, $"scores differ by {scoreError:G3} relative");
        // With every probability within MaskTolerance, a pixel can be cut differently at 0.5 only where it lies within
        // that much of 0.5 (the count and the closest such pixel are written above).
        Assert.True(maskError <= MaskTolerance, $"mask probabilities differ by up to {maskError:G3}");
    }

    [Fact]
    public void NoDetectionsGiveEmptyOutputs()
    {
        const int h = 96, w = 128;
        using var model = Detector("maskrcnn_resnet18_fpn", Small(scoreThreshold: 1f));
        string path = _tmp.File("none.onnx");
        model.ExportOnnx(path, new DetectorOnnxOptions { Height = h, Width = w });
        var image = Image(h, w, 9);
        Assert.Equal(0, Ours(model, image, h, w).Count);
        var theirs = Run(path, image, h, w);
        Assert.Equal([0, 4], theirs.Shapes["boxes"]);
        Assert.Equal([0], theirs.Shapes["scores"]);
        Assert.Equal([0], theirs.Shapes["labels"]);
        Assert.Equal([0, 1, h, w], theirs.Shapes["masks"]);
    }

    private static Detections Ours(MaskRcnn model, float[] image, int h, int w)
    {
        using var scope = Tensor.Scope();
        return model.Detect([Tensor.FromArray(image, 3, h, w)])[0];
    }

    private sealed record Outputs(float[] Boxes, float[] Scores, long[] Labels, float[] Masks, Dictionary<string, int[]> Shapes);

    private static Outputs Run(string path, float[] image, int h, int w)
    {
        using var options = new SessionOptions { GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL };
        using var session = new InferenceSession(path, options);
        Assert.Equal(["x"], session.InputMetadata.Keys);
        Assert.Equal(["boxes", "scores", "labels", "masks"], session.OutputMetadata.Keys);
        using var results = session.Run([NamedOnnxValue.CreateFromTensor("x", new DenseTensor<float>(image, [3, h, w]))]);
        var byName = results.ToDictionary(r => r.Name);
        var shapes = byName.ToDictionary(r => r.Key, r => r.Key == "labels" ? r.Value.AsTensor<long>().Dimensions.ToArray() : r.Value.AsTensor<float>().Dimensions.ToArray());
        return new Outputs(byName["boxes"].AsTensor<float>().ToArray(), byName["scores"].AsTensor<float>().ToArray(),
            byName["labels"].AsTensor<long>().ToArray(), byName["masks"].AsTensor<float>().ToArray(), shapes);
    }
}
