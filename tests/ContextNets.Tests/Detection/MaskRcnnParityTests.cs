using ContextNets.Autograd;
using ContextNets.Detection;
using ContextNets.Detection.Boxes;
using ContextNets.Detection.Transform;
using ContextNets.IO;
using ContextNets.Models.Outputs;
using ContextNets.Tests.Support;
using Xunit.Abstractions;

namespace ContextNets.Tests.Detection;

/// <summary>
/// Mask R-CNN parity with torchvision 0.14 (tests/python/make_maskrcnn_case.py: random weights, a 72x90 image,
/// min size 64, max size 96), stage by stage, each stage fed the reference's own input so that a fault shows where
/// it is: the transform, the FPN levels, the RPN's proposals, the box predictor on fixed proposals, and the final
/// detections and masks (matched at IoU ≥ 0.99 with the same label), and the masks of torchvision's own detections. Errors are relative to each output's scale,
/// at 1e-4, as the logits parity tests measure them.
/// </summary>
[Trait(Tier.Key, Tier.External)]
public class MaskRcnnParityTests(MaskRcnnParityTests.Case loaded, ITestOutputHelper output) : IClassFixture<MaskRcnnParityTests.Case>
{
    private const double Tolerance = Logits.Tolerance;

    /// <summary>The reference case, generated once, and the detector loaded from its weights once for all the tests.</summary>
    public sealed class Case : IDisposable
    {
        private readonly MaskRcnnCases _cases = new();
        private readonly Lazy<(MaskRcnn model, SafetensorsFile file)> _loaded;

        public Case() => _loaded = new(() =>
        {
            var (weights, io) = Paths;
            var model = DetectionZoo.Create("maskrcnn_resnet50_fpn", 5, new DetectorSettings { MinSize = 64, MaxSize = 96 });
            var report = model.Load(weights);
            Assert.True(report.IsComplete, report.ToString());
            model.Eval();
            return (model, SafetensorsFile.Read(io));
        });

        /// <summary>The reference's weights and its case file (with the input image `x`).</summary>
        public (string weights, string io) Paths => _cases.Get("maskrcnn_resnet50_fpn", 0);

        public MaskRcnn Model => _loaded.Value.model;
        public SafetensorsFile File => _loaded.Value.file;

        public void Dispose()
        {
            if (_loaded.IsValueCreated) _loaded.Value.model.Dispose();
            _cases.Dispose();
        }
    }

    [Fact]
    public void TransformAndFeaturePyramidMatch()
    {
        var (model, file) = (loaded.Model, loaded.File);
        using var scope = Tensor.Scope();
        using var noGrad = GradMode.NoGrad();
        var (batch, sizes) = model.Transform.Apply([file.Load("x")]);
        Assert.Equal((64, 80), sizes[0]);
        Close("batch", file.Load("batch"), batch);
        var levels = model.Backbone.ForwardLevels(file.Load("batch"));
        string[] names = ["0", "1", "2", "3", "pool"];
        for (int l = 0; l < 5; l++) Close("level " + names[l], file.Load("level." + names[l]), levels[l]);
    }

    [Fact]
    public void ProposalsMatch()
    {
        var (model, file) = (loaded.Model, loaded.File);
        using var scope = Tensor.Scope();
        using var noGrad = GradMode.NoGrad();
        var levels = Levels(file);
        var outputs = model.Rpn.Run(levels, levels[0].Shape[2] * 4, levels[0].Shape[3] * 4);
        var proposals = model.Rpn.Propose(outputs, [(64, 80)], training: false)[0];
        var expected = file.Load("proposals").ToArray();
        Assert.Equal(expected.Length, proposals.Length);
        CloseArrays("proposals", expected, proposals);
    }

    [Fact]
    public void BoxPredictorOnFixedProposalsMatches()
    {
        var (model, file) = (loaded.Model, loaded.File);
        using var scope = Tensor.Scope();
        using var noGrad = GradMode.NoGrad();
        var (logits, codes) = model.RoiHeads.BoxOutputs(Levels(file)[..4], [file.Load("proposals").ToArray()], [(64, 80)]);
        Close("box logits", file.Load("box.logits"), logits);
        Close("box codes", file.Load("box.codes"), codes);
    }

    [Fact]
    public void MasksOfFixedDetectionsMatch()
    {
        var (model, file) = (loaded.Model, loaded.File);
        using var scope = Tensor.Scope();
        using var noGrad = GradMode.NoGrad();
        var boxes = file.Load("boxes").ToArray();
        var onResized = (float[])boxes.Clone();
        ImageTransform.ScaleBoxes(onResized, (72, 90), (64, 80));
        var labels = file.Load("labels").ToArray().Select(l => (long)l).ToArray();
        var fixedDetections = new ContextNets.Detection.Detections(onResized, new float[labels.Length], labels);
        model.RoiHeads.AddMasks(Levels(file)[..4], [fixedDetections], [(64, 80)]);
        var pasted = MaskPaste.Paste(fixedDetections.Masks, 28, boxes, 72, 90);
        CloseArrays("masks", file.Load("masks").ToArray(), pasted);
    }

    [Fact]
    public void DetectionsAndMasksMatch()
    {
        var (model, file) = (loaded.Model, loaded.File);
        using var scope = Tensor.Scope();
        var clock = System.Diagnostics.Stopwatch.StartNew();
        using var outputs = model.Run(file.Load("x"));
        output.WriteLine($"ctxnet's detector ran in {clock.ElapsedMilliseconds} ms");
        AssertDetectionsMatch(file, outputs);
    }

    [Fact]
    public void DetectionsThroughCtxnetRunMatch()
    {
        var (weights, io) = loaded.Paths;
        var dir = Directory.CreateTempSubdirectory("ctxnet-det-run-").FullName;
        try
        {
            string result = Path.Combine(dir, "out.safetensors");
            var (code, _, stderr) = ContextNets.Tests.Cli.CliProcess.Run(
                $"run maskrcnn_resnet50_fpn --weights {weights} --input {io} --output {result} --min-size 64 --max-size 96", timeoutSeconds: 900);
            Assert.True(code == 0, stderr);
            var file = SafetensorsFile.Read(result);
            Assert.Equal(["boxes", "labels", "masks", "scores"], file.Keys.Order());
            using var outputs = new ModelOutputs();
            foreach (var key in file.Keys) outputs.Add(key, file.Load(key));
            AssertDetectionsMatch(loaded.File, outputs);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    private void AssertDetectionsMatch(SafetensorsFile file, ModelOutputs outputs)
    {
        var boxes = outputs["boxes"].ToArray();
        var scores = outputs["scores"].ToArray();
        var labels = outputs["labels"].ToArray();
        var masks = outputs["masks"];
        var theirBoxes = file.Load("boxes").ToArray();
        var theirScores = file.Load("scores").ToArray();
        var theirLabels = file.Load("labels").ToArray();
        var theirMasks = file.Load("masks");
        int k = theirScores.Length;
        Assert.True(k > 10, $"the reference has only {k} detections");
        Assert.Equal(k, scores.Length);
        Assert.Equal(theirMasks.Shape, masks.Shape);
        int maskSize = masks.Shape[2] * masks.Shape[3];
        var ours = masks.ToArray();
        var theirs = theirMasks.ToArray();
        double worstScore = 0, worstMask = 0, worstMaskIou = 1, worstBox = 0, boxScale = theirBoxes.Max(v => Math.Abs((double)v));
        var used = new bool[k];
        for (int i = 0; i < k; i++)
        {
            // Detections of equal score may come in either order, so they are matched, not compared by position.
            int j = Enumerable.Range(0, k).FirstOrDefault(c => !used[c] && labels[c] == theirLabels[i] && BoxOps.Iou(boxes, c, theirBoxes, i) >= 0.99f, -1);
            Assert.True(j >= 0, $"torchvision's detection {i} (label {theirLabels[i]}, score {theirScores[i]}) has no match at IoU 0.99");
            used[j] = true;
            worstScore = Math.Max(worstScore, Math.Abs(scores[j] - theirScores[i]));
            for (int c = 0; c < 4; c++) worstBox = Math.Max(worstBox, Math.Abs(boxes[4 * j + c] - theirBoxes[4 * i + c]));
            int both = 0, either = 0;
            for (int p = 0; p < maskSize; p++)
            {
                float a = ours[j * maskSize + p], b = theirs[i * maskSize + p];
                worstMask = Math.Max(worstMask, Math.Abs(a - b));
                both += a > 0.5f && b > 0.5f ? 1 : 0;
                either += a > 0.5f || b > 0.5f ? 1 : 0;
            }
            if (either > 0) worstMaskIou = Math.Min(worstMaskIou, (double)both / either);
        }
        output.WriteLine($"{k} detections matched; max errors: box {worstBox / boxScale:G3} of the scale {boxScale:G4}, score {worstScore:G3}, mask {worstMask:G3} (IoU at 0.5 at least {worstMaskIou:G4})");
        Assert.True(worstBox <= Tolerance * boxScale, $"box coordinates differ by {worstBox:G3} (scale {boxScale:G4})");
        Assert.True(worstScore <= Tolerance * theirScores.Max(), $"scores differ by {worstScore:G3}");
        // The detections' own boxes differ from torchvision's by float noise (checked above), and the masks pooled
        // under them move with them; masks under the same boxes are held to 1e-4 in MasksOfFixedDetectionsMatch.
        // Here each mask, cut at 0.5, must cover the same pixels as torchvision's to IoU 0.99.
        Assert.True(worstMaskIou >= 0.99, $"a mask cut at 0.5 overlaps torchvision's at IoU {worstMaskIou:G4} only");
    }

    private static Tensor[] Levels(SafetensorsFile file) => [.. new[] { "0", "1", "2", "3", "pool" }.Select(n => file.Load("level." + n))];

    private void Close(string what, Tensor expected, Tensor actual)
    {
        Assert.Equal(expected.Shape, actual.Shape);
        CloseArrays(what, expected.ToArray(), actual.ToArray());
    }

    // The parity tests' one measure (max error over the reference's largest magnitude); every stage here has a scale
    // far above its 0.1 floor (masks near 1, coordinates in pixels).
    private void CloseArrays(string what, float[] expected, float[] actual) => Logits.AssertClose(output, what, expected, actual);
}
