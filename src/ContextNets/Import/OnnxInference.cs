using ContextNets.Autograd;
using ContextNets.Export.Proto;

namespace ContextNets.Import;

/// <summary>
/// An imported graph prepared for inference, as <c>ResNet.Prepare()</c> prepares a zoo model: every
/// BatchNormalization that is the only reader of a Conv's output is folded into that conv
/// (w' = w g / sqrt(v + eps), b' = (b - m) g / sqrt(v + eps) + beta), the pair running as one convolution, and
/// everything runs in eval mode without a tape. The folded weights are a snapshot taken here; the other ops read the
/// model's tensors, so the model must outlive this, and a model trained further is prepared again.
/// </summary>
public sealed class OnnxInference : IDisposable
{
    private readonly List<FoldedConvOp> _folded = [];
    private readonly GraphRunner _runner;

    internal OnnxInference(OnnxModel model)
    {
        var readers = new Dictionary<string, int>();
        foreach (var op in model.Ops)
            foreach (var i in op.Node.Input) readers[i] = readers.GetValueOrDefault(i) + 1;
        var ops = new List<ImportedOp>();
        var skip = new HashSet<ImportedOp>();
        foreach (var op in model.Ops)
        {
            if (skip.Contains(op)) continue;
            if (op is ConvOp conv && readers.GetValueOrDefault(conv.Node.Output[0]) == 1 && !model.OutputNames.Contains(conv.Node.Output[0])
                && model.Ops.FirstOrDefault(o => o.Node.Input.Count > 0 && o.Node.Input[0] == conv.Node.Output[0]) is BatchNormOp bn)
            {
                var folded = new FoldedConvOp(conv, bn, model.Tensors);
                _folded.Add(folded);
                ops.Add(folded);
                skip.Add(bn);
                continue;
            }
            ops.Add(op);
        }
        _runner = model.RunnerOf(ops);
        FoldedCount = _folded.Count;
    }

    /// <summary>How many Conv + BatchNormalization pairs were folded.</summary>
    public int FoldedCount { get; }

    /// <summary>The first graph output for one input, in the caller's scope.</summary>
    public Tensor Predict(Tensor x) => Run([x])[0];

    public Tensor[] Run(IReadOnlyList<Tensor> inputs)
    {
        using var noGrad = GradMode.NoGrad();
        return _runner.Run(inputs, training: false);
    }

    public void Dispose()
    {
        foreach (var f in _folded) f.Dispose();
    }
}

/// <summary>A Conv with the BatchNormalization after it folded into its weight and bias; it writes the BN's output.</summary>
internal sealed class FoldedConvOp : ImportedOp, IDisposable
{
    private readonly ConvOp _conv;
    private readonly Tensor _weight, _bias;

    public FoldedConvOp(ConvOp conv, BatchNormOp bn, IReadOnlyDictionary<string, Tensor> tensors)
        : base(Fused(conv.Node, bn.Node), new OnnxAttributes(new NodeProto(), OnnxGraphFile.Describe(conv.Node)))
    {
        _conv = conv;
        var w = Constant(tensors, conv.WeightName, conv);
        if (w.Rank != 4) throw new InvalidDataException($"ONNX node {conv.Where}: only 2-D convolutions are imported; the weight is {w.Shape}.");
        int cout = w.Shape[0], per = w.Numel / cout;
        float[] w0 = w.ToArray(), b0 = conv.BiasName is { } b ? Constant(tensors, b, conv).ToArray() : new float[cout];
        float[] g = Channels(tensors, bn.ScaleName, bn, cout), beta = Channels(tensors, bn.BiasName, bn, cout);
        float[] mean = Channels(tensors, bn.MeanName, bn, cout), variance = Channels(tensors, bn.VarName, bn, cout);
        _weight = Tensor.EmptyUnscoped(w.Shape);
        _bias = Tensor.EmptyUnscoped(new Shape(cout));
        var ws = _weight.Span;
        var bs = _bias.Span;
        for (int o = 0; o < cout; o++)
        {
            double scale = g[o] / Math.Sqrt(variance[o] + (double)bn.Eps);
            for (int i = 0; i < per; i++) ws[o * per + i] = (float)(w0[o * per + i] * scale);
            bs[o] = (float)((b0[o] - mean[o]) * scale + beta[o]);
        }
    }

    public override string Mapping => $"{_conv.Mapping}, BatchNorm folded";

    public override Tensor[] Run(GraphValues values, bool training) => [_conv.Convolve(In(values, 0), _weight, _bias)];

    public void Dispose()
    {
        _weight.Dispose();
        _bias.Dispose();
    }

    // The fused node reads the conv's input and writes the BN's output, so the runner wires it in the pair's place.
    private static NodeProto Fused(NodeProto conv, NodeProto bn)
    {
        var node = new NodeProto { Name = conv.Name, OpType = "Conv+BatchNormalization" };
        node.Input.Add(conv.Input[0]);
        node.Output.Add(bn.Output[0]);
        return node;
    }

    private static Tensor Constant(IReadOnlyDictionary<string, Tensor> tensors, string name, ImportedOp op) =>
        tensors.TryGetValue(name, out var t) ? t : throw new InvalidDataException($"ONNX node {op.Where}: '{name}' is computed, not an initializer, so it cannot be folded.");

    private static float[] Channels(IReadOnlyDictionary<string, Tensor> tensors, string name, ImportedOp op, int count)
    {
        var t = Constant(tensors, name, op);
        return t.Numel == count ? t.ToArray() : throw new InvalidDataException($"ONNX node {op.Where}: '{name}' has {t.Numel} values for {count} channels.");
    }
}
