using System.Text.Json;
using ContextNets.Tests.Support;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace ContextNets.Tests.Export;

/// <summary>
/// The outside tools that judge the exported files: Debian's python3-onnx (onnx.checker.check_model with
/// full_check, through tests/python/onnx_check.py, started on first use and kept for the run) and ONNX Runtime's CPU
/// provider in process (NuGet's Microsoft.ML.OnnxRuntime). The last model's session is kept, so that several inputs
/// (batch sizes) go through one model without loading it again.
/// </summary>
public sealed class OnnxTools : IDisposable
{
    private const string Python = "/usr/bin/python3";
    private readonly Lazy<LineProcess> _checker;
    private readonly object _gate = new();
    private (string path, DateTime written, long length) _sessionFile;
    private InferenceSession? _session;

    public OnnxTools()
    {
        _checker = new(() =>
        {
            if (!File.Exists(Python)) Assert.Fail($"The ONNX checker tests need {Python} with Debian's onnx: install python3-onnx.");
            return new LineProcess("the ONNX checker (tests/python/onnx_check.py)", Python, [Path.Combine(TestData.RepoRoot, "tests", "python", "onnx_check.py")]);
        });
    }

    /// <summary>Runs onnx.checker.check_model(full_check=True) on a file; returns null when it passes, else the checker's message.</summary>
    public string? Check(string path)
    {
        using var answer = JsonDocument.Parse(_checker.Value.Ask(path, TimeSpan.FromMinutes(3)));
        var root = answer.RootElement;
        return root.GetProperty("ok").GetBoolean() ? null : root.GetProperty("error").GetString();
    }

    /// <summary>The model's first output on <paramref name="input"/> (row-major float32 of <paramref name="shape"/>) from ONNX Runtime's CPU provider.</summary>
    public (float[] values, int[] shape) Run(string model, float[] input, int[] shape)
    {
        lock (_gate)
        {
            var session = Session(model);
            var tensor = new DenseTensor<float>(input.ToArray(), shape);
            using var results = session.Run([NamedOnnxValue.CreateFromTensor(session.InputMetadata.Keys.First(), tensor)]);
            var y = results.First().AsTensor<float>();
            return (y.ToArray(), y.Dimensions.ToArray());
        }
    }

    private InferenceSession Session(string path)
    {
        // A test may write a new model to a path it used before: the file's time and length tell the two apart.
        var file = new FileInfo(path);
        var key = (path, file.LastWriteTimeUtc, file.Length);
        if (_sessionFile == key && _session is not null) return _session;
        _session?.Dispose();
        _session = null;
        using var options = new SessionOptions { GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL };
        _session = new InferenceSession(path, options);
        _sessionFile = key;
        return _session;
    }

    public void Dispose()
    {
        if (_checker.IsValueCreated) _checker.Value.Dispose();
        _session?.Dispose();
    }
}

/// <summary>The export tests share one checker and one runtime process, and run one class at a time.</summary>
[CollectionDefinition(Name)]
public sealed class OnnxToolsCollection : ICollectionFixture<OnnxTools>
{
    public const string Name = "ONNX tools";
}
