using ContextNets.Export.Proto;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace ContextNets.Bench.Precision;

/// <summary>
/// One ONNX file in an ONNX Runtime CPU session with every graph optimization (its QDQ fusion included), a fixed
/// input, and <c>threads</c> intra-op threads. Spinning is off: its pool would otherwise keep the cores busy while the
/// next runner of an alternating round is timed. The optimized graph is saved once, so that the bench can say how
/// many convs ONNX Runtime really ran as QLinearConv.
/// </summary>
internal sealed class OrtRunner : IDisposable
{
    private readonly SessionOptions _options;
    private readonly InferenceSession _session;
    private readonly NamedOnnxValue[] _inputs;
    private readonly string _optimized;

    public OrtRunner(string path, Tensor images, int threads)
    {
        _optimized = path + ".optimized.onnx";
        _options = new SessionOptions
        {
            GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL,
            ExecutionMode = ExecutionMode.ORT_SEQUENTIAL,
            IntraOpNumThreads = threads,
            InterOpNumThreads = 1,
            OptimizedModelFilePath = _optimized,
            // Saving a graph optimized at ORT_ENABLE_ALL warns that it is machine-specific, which is all it is used for here.
            LogSeverityLevel = OrtLoggingLevel.ORT_LOGGING_LEVEL_ERROR,
        };
        _options.AddSessionConfigEntry("session.intra_op.allow_spinning", "0");
        _session = new InferenceSession(path, _options);
        _inputs = [NamedOnnxValue.CreateFromTensor(_session.InputMetadata.Keys.First(), new DenseTensor<float>(images.ToArray(), [.. images.Shape.Dims]))];
    }

    public static string Version => typeof(InferenceSession).Assembly.GetName().Version?.ToString(3) ?? "?";

    public void Run()
    {
        using var results = _session.Run(_inputs);
    }

    /// <summary>How many nodes of <paramref name="opType"/> the optimized graph holds.</summary>
    public int Count(string opType) =>
        ModelProto.Parser.ParseFrom(File.ReadAllBytes(_optimized)).Graph.Node.Count(n => n.OpType == opType);

    public void Dispose()
    {
        _session.Dispose();
        _options.Dispose();
    }
}
