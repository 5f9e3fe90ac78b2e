using System.Text.Json;
using ContextNets.Tests.Support;

namespace ContextNets.Tests.Export;

/// <summary>
/// The outside tools that judge the exported files: Debian's python3-onnx (onnx.checker.check_model with
/// full_check, through tests/python/onnx_check.py) and ONNX Runtime on the CPU (npm's onnxruntime-node, through
/// tests/node/ort_run.js; ./test installs it into tests/node/node_modules). Each is started on first use and kept for the run.
/// </summary>
public sealed class OnnxTools : IDisposable
{
    private const string Python = "/usr/bin/python3";
    private readonly Lazy<LineProcess> _checker, _ort;
    private readonly string _dir = Directory.CreateTempSubdirectory("ctxnet-ort").FullName;
    private int _files;

    public OnnxTools()
    {
        _checker = new(() =>
        {
            if (!File.Exists(Python)) Assert.Fail($"The ONNX checker tests need {Python} with Debian's onnx: install python3-onnx.");
            return new LineProcess("the ONNX checker (tests/python/onnx_check.py)", Python, [Path.Combine(TestData.RepoRoot, "tests", "python", "onnx_check.py")]);
        });
        _ort = new(() =>
        {
            string node = Path.Combine(TestData.RepoRoot, "tests", "node");
            if (!Directory.Exists(Path.Combine(node, "node_modules", "onnxruntime-node")))
                Assert.Fail($"onnxruntime-node is not installed in {node}: run ./test once, or (cd tests/node && npm ci --ignore-scripts).");
            return new LineProcess("ONNX Runtime (tests/node/ort_run.js)", "node", [Path.Combine(node, "ort_run.js")], node);
        });
    }

    /// <summary>Runs onnx.checker.check_model(full_check=True) on a file; returns null when it passes, else the checker's message.</summary>
    public string? Check(string path)
    {
        using var answer = JsonDocument.Parse(_checker.Value.Ask(path, TimeSpan.FromMinutes(3)));
        var root = answer.RootElement;
        return root.GetProperty("ok").GetBoolean() ? null : root.GetProperty("error").GetString();
    }

    /// <summary>The model's output on <paramref name="input"/> (row-major float32 of <paramref name="shape"/>) from ONNX Runtime's CPU provider.</summary>
    public (float[] values, int[] shape) Run(string model, float[] input, int[] shape)
    {
        int id = Interlocked.Increment(ref _files);
        string x = Path.Combine(_dir, $"x{id}.f32"), y = Path.Combine(_dir, $"y{id}.f32");
        File.WriteAllBytes(x, System.Runtime.InteropServices.MemoryMarshal.AsBytes(input.AsSpan()).ToArray());
        try
        {
            string request = JsonSerializer.Serialize(new { model, input = x, shape, output = y });
            using var answer = JsonDocument.Parse(_ort.Value.Ask(request, TimeSpan.FromMinutes(3)));
            var root = answer.RootElement;
            if (!root.GetProperty("ok").GetBoolean()) Assert.Fail($"ONNX Runtime failed on {model}: {root.GetProperty("error").GetString()}");
            var bytes = File.ReadAllBytes(y);
            return (System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(bytes).ToArray(),
                root.GetProperty("shape").EnumerateArray().Select(e => e.GetInt32()).ToArray());
        }
        finally
        {
            File.Delete(x);
            if (File.Exists(y)) File.Delete(y);
        }
    }

    public void Dispose()
    {
        if (_checker.IsValueCreated) _checker.Value.Dispose();
        if (_ort.IsValueCreated) _ort.Value.Dispose();
        Directory.Delete(_dir, recursive: true);
    }
}

/// <summary>The export tests share one checker and one runtime process, and run one class at a time.</summary>
[CollectionDefinition(Name)]
public sealed class OnnxToolsCollection : ICollectionFixture<OnnxTools>
{
    public const string Name = "ONNX tools";
}
