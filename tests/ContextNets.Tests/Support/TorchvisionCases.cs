using System.Collections.Concurrent;
using System.Diagnostics;

namespace ContextNets.Tests.Support;

/// <summary>Reference networks made by tests/python/make_torchvision_case.py: torchvision's ResNets (and resnet50d).</summary>
public sealed class TorchvisionCases() : PythonCases("make_torchvision_case.py");

/// <summary>torchvision's fcn_resnet50 and deeplabv3_resnet50 (with or without aux), made by tests/python/make_segmentation_case.py.</summary>
public sealed class SegmentationCases() : PythonCases("make_segmentation_case.py");

/// <summary>Headless dilated backbones and their feature maps, made by tests/python/make_features_case.py.</summary>
public sealed class FeatureCases() : PythonCases("make_features_case.py");

/// <summary>Reference networks made by tests/python/make_zoo_case.py: attention ResNets and ResNeSt defined there.</summary>
public sealed class ZooCases() : PythonCases("make_zoo_case.py");

/// <summary>
/// Reference networks made by a script in tests/python with Debian's PyTorch, generated on first
/// use into a temporary directory that lives as long as the test class's fixture (one run), never committed.
/// A machine without python3 and torch fails these tests with the packages to install.
/// </summary>
public abstract class PythonCases(string scriptName) : IDisposable
{
    private const string Python = "/usr/bin/python3";
    private const string Packages = "python3-torch python3-torchvision";
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "ctxnet-cases-" + Guid.NewGuid().ToString("N"));
    private readonly ConcurrentDictionary<string, Lazy<(string weights, string io)>> _cases = new();

    /// <summary>The checkpoint (torchvision keys) and the input/logits file for a model at one input size.</summary>
    public (string weights, string io) Get(string model, int size) =>
        _cases.GetOrAdd($"{model}@{size}", _ => new Lazy<(string, string)>(() => Generate(model, size))).Value;

    private (string weights, string io) Generate(string model, int size)
    {
        if (!File.Exists(Python))
            Assert.Fail($"The logits parity tests need {Python} with PyTorch: install {Packages}.");
        string outDir = Path.Combine(_dir, $"{model}-{size}");
        string script = Path.Combine(TestData.RepoRoot, "tests", "python", scriptName);
        var psi = new ProcessStartInfo(Python) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in new[] { script, model, outDir }.Concat(SizeArguments(size)))
            psi.ArgumentList.Add(arg);
        using var process = Process.Start(psi) ?? throw new InvalidOperationException($"Could not start {Python}.");
        var stdout = process.StandardOutput.ReadToEndAsync();
        string stderr = process.StandardError.ReadToEnd();
        process.WaitForExit();
        if (process.ExitCode != 0)
        {
            string hint = stderr.Contains("No module named", StringComparison.Ordinal) ? $" PyTorch is missing: install {Packages}." : "";
            Assert.Fail($"{Path.GetFileName(script)} {model} failed (exit {process.ExitCode}).{hint}\n{stderr}{stdout.Result}");
        }
        return (Path.Combine(outDir, model + ".safetensors"), Path.Combine(outDir, model + ".case.safetensors"));
    }

    /// <summary>How the script is told the input size: `--size N` unless the script sizes its own case.</summary>
    protected virtual IEnumerable<string> SizeArguments(int size) => ["--size", size.ToString(System.Globalization.CultureInfo.InvariantCulture)];

    public void Dispose()
    {
        if (Directory.Exists(_dir)) Directory.Delete(_dir, recursive: true);
        GC.SuppressFinalize(this);
    }
}

/// <summary>Reference video networks made by tests/python/make_video_case.py: torchvision's video ResNets and the NL paper's, written there.</summary>
public sealed class VideoCases() : PythonCases("make_video_case.py");

/// <summary>Mask R-CNN references made by tests/python/make_maskrcnn_case.py, stage by stage, at the script's own image size.</summary>
public sealed class MaskRcnnCases() : PythonCases("make_maskrcnn_case.py")
{
    protected override IEnumerable<string> SizeArguments(int size) => [];
}

/// <summary>Mask R-CNN's training losses and gradients, made by tests/python/make_maskrcnn_train_case.py.</summary>
public sealed class MaskRcnnTrainCases() : PythonCases("make_maskrcnn_train_case.py")
{
    protected override IEnumerable<string> SizeArguments(int size) => [];
}

/// <summary>torch's cross_entropy over score maps with an ignore index, made by tests/python/make_pixel_ce_case.py.</summary>
public sealed class PixelCrossEntropyCases() : PythonCases("make_pixel_ce_case.py");
