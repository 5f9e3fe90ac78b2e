using ContextNets.Tests.Support;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using ContextNets.Tests.Data;
using ContextNets.Tests.Data.Segmentation;

namespace ContextNets.Tests.Cli;

/// <summary>
/// `ctxnet train --task segment --data DIR` on an image + label-map folder: a tiny run trains and `ctxnet eval` scores it
/// with the folder's class names, `ctxnet export` writes it to ONNX (as it does a segmenter by name) and `ctxnet segment
/// --val-images` draws its val images with their ground truth; each way the folder can be wrong ends at exit 2 with one line naming the problem,
/// and no run folder. The class runs in the external tier for its cost only (a dozen ctxnet processes, about ten
/// seconds); the same errors are checked in process, in the quick tier, by LabelMapFolderTests.
/// </summary>
[Trait(Tier.Key, Tier.External)]
public sealed class SegmentFolderCommandTests : IDisposable
{
    private readonly TempDir _tmp = new();
    private static readonly Dictionary<string, string> Ci = new() { ["CI"] = "true", ["CTXNET_THREADS"] = "2" };
    private const string Tiny = "--task segment --epochs 1 --batch-size 2 --seg-base-size 48 --seg-crop-size 32 --seg-output-stride 16";

    public void Dispose() => _tmp.Dispose();

    [Fact]
    public void TrainsOnAFolderAndEvaluatesWithItsClassNames()
    {
        string root = LabelMapData.Write(_tmp, count: 2, width: 40, height: 30), run = _tmp.File("run");
        // With the aux loss: the run builds its aux head, and eval, export and segment read `out` alone.
        var (code, stdout, stderr) = CliProcess.Run($"train {Tiny} --seg-aux-loss 0.5 --data {root} --out {run}", Ci, timeoutSeconds: 600);
        Assert.True(code == 0, stderr);
        Assert.Contains("aux loss weight 0.5", stdout, StringComparison.Ordinal);
        Assert.Contains("Data: 2 train / 2 val", stdout, StringComparison.Ordinal);
        Assert.Contains("3 classes", stdout, StringComparison.Ordinal);

        (code, stdout, stderr) = CliProcess.Run($"eval {run}", Ci, timeoutSeconds: 600);
        Assert.True(code == 0, stderr);
        Assert.Matches(@"on 2 val images at 48 px: mIoU \d+\.\d\d%", stdout);
        Assert.Contains("boot", stdout, StringComparison.Ordinal);

        string onnx = _tmp.File("run.onnx");
        (code, _, stderr) = CliProcess.Run($"export {run} --onnx {onnx}", Ci, timeoutSeconds: 600);
        Assert.True(code == 0, stderr);
        using var session = new InferenceSession(onnx);
        Assert.Equal(string.Join(",", LabelMapData.Classes), session.ModelMetadata.CustomMetadataMap["classes"]);
        Assert.Equal([1, 3, 48, 48], Scores(session, 48).Dimensions.ToArray());

        string pictures = _tmp.File("pictures");
        (code, _, stderr) = CliProcess.Run($"segment {run} --val-images 2 --out {pictures}", Ci, timeoutSeconds: 600);
        Assert.True(code == 0, stderr);
        var image = ContextNets.Data.ImageDecoder.Load(Path.Combine(pictures, "val1.png"), 3);
        Assert.Equal(ContextNets.Data.ImageDecoder.Load(Path.Combine(root, "val", "images", "img1.png"), 3).Pixels, image.Pixels);
        var labels = new byte[40 * 30];
        for (int y = 0; y < 30; y++)
        for (int x = 0; x < 40; x++) labels[y * 40 + x] = LabelMapData.Label(1, x, y);
        var truth = ContextNets.Data.ImageDecoder.Load(Path.Combine(pictures, "val1.truth.png"), 3);
        Assert.Equal(ContextNets.Models.Segmentation.ImageSegmentation.Overlay(image, labels).Pixels, truth.Pixels);
        var classes = ContextNets.Data.ImageDecoder.Load(Path.Combine(pictures, "val1.classes.png"), 1);
        Assert.Equal((40, 30), (classes.Width, classes.Height));
        Assert.True(File.Exists(Path.Combine(pictures, "val0.overlay.png")));
        (code, _, stderr) = CliProcess.Run($"segment {run} {Path.Combine(pictures, "val0.png")} --val-images 1", Ci);
        Assert.Equal(2, code);
        Assert.Contains("not both", stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void ExportsASegmenterByNameInFloat32Only()
    {
        string onnx = _tmp.File("fcn.onnx");
        var (code, stdout, stderr) = CliProcess.Run($"export fcn_resnet18 --onnx {onnx} --image-size 40", Ci, timeoutSeconds: 600);
        Assert.True(code == 0, stderr);
        Assert.Contains("class scores [N, K, H, W]", stdout, StringComparison.Ordinal);
        using (var session = new InferenceSession(onnx)) Assert.Equal([1, 21, 40, 40], Scores(session, 40).Dimensions.ToArray());

        (code, _, stderr) = CliProcess.Run($"export fcn_resnet18 --onnx {_tmp.File("int8.onnx")} --precision int8", Ci);
        Assert.Equal(2, code);
        Assert.Contains("float32 only", stderr, StringComparison.Ordinal);
        Assert.False(File.Exists(_tmp.File("int8.onnx")));
    }

    private static Tensor<float> Scores(InferenceSession session, int side)
    {
        var input = new DenseTensor<float>(new float[3 * side * side], [1, 3, side, side]);
        using var results = session.Run([NamedOnnxValue.CreateFromTensor(session.InputMetadata.Keys.First(), input)]);
        return results.First().AsTensor<float>().Clone();
    }

    [Theory]
    [InlineData("size", "is 12x7 but its image")]
    [InlineData("range", "has the label 7 at (0, 0)")]
    [InlineData("missing-label", "has no label map")]
    [InlineData("missing-image", "has no image")]
    [InlineData("corrupt", "the label map ends before its IEND chunk")]
    [InlineData("empty", "holds no PNG or JPEG images")]
    [InlineData("no-classes", "classes.txt is missing")]
    [InlineData("no-val", "has no val/ folder")]
    [InlineData("scene-count", "--seg-train-scenes count generated scenes")]
    public void BadFoldersEndInOneLineWithoutARunFolder(string problem, string message)
    {
        string root = LabelMapData.Write(_tmp), run = _tmp.File("run"), labels = Path.Combine(root, "train", "labels");
        string extra = "";
        switch (problem)
        {
            case "size": _tmp.Write("voc/train/labels/img1.png", LabelMapData.LabelMap(1, 12, 7)); break;
            case "range": _tmp.Write("voc/train/labels/img0.png", PngWriter.Encode(13, 7, PngWriter.Gray, Enumerable.Repeat((byte)7, 13 * 7).ToArray())); break;
            case "missing-label": File.Delete(Path.Combine(labels, "img0.png")); break;
            case "missing-image": File.Delete(Path.Combine(root, "train", "images", "img1.png")); break;
            case "corrupt": File.WriteAllBytes(Path.Combine(labels, "img1.png"), LabelMapData.LabelMap(1, 13, 7)[..^12]); break;
            case "empty": foreach (var f in Directory.GetFiles(Path.Combine(root, "val"), "*", SearchOption.AllDirectories)) File.Delete(f); break;
            case "no-classes": File.Delete(Path.Combine(root, "classes.txt")); break;
            case "no-val": Directory.Delete(Path.Combine(root, "val"), recursive: true); break;
            default: extra = "--seg-train-scenes 10"; break;
        }
        var (code, _, stderr) = CliProcess.Run($"train {Tiny} --data {root} {extra} --out {run}", Ci);
        Assert.Equal(2, code);
        Assert.Contains(message, stderr, StringComparison.Ordinal);
        Assert.Single(stderr.Trim().Split('\n'));
        Assert.False(Directory.Exists(run));
    }
}
