using ContextNets.Autograd;

namespace ContextNets.Import;

/// <summary>
/// Runs imported ops in their order over named values: the graph inputs, the model's tensors and each op's outputs.
/// A failing op's message is given back with its node named. Without a tape nothing needs an intermediate after
/// its last reader, so inference frees each there and a deep graph runs within a few activations' memory; with a
/// tape the intermediates stay in the caller's scope for backward.
/// </summary>
internal sealed class GraphRunner
{
    private readonly IReadOnlyList<ImportedOp> _ops;
    private readonly IReadOnlyDictionary<string, Tensor> _tensors;
    private readonly string[] _inputs, _outputs;
    private readonly int[][] _inputDims;
    private readonly Dictionary<string, int> _lastUse = [];

    public GraphRunner(IReadOnlyList<ImportedOp> ops, IReadOnlyDictionary<string, Tensor> tensors, string[] inputs, int[][] inputDims, string[] outputs)
    {
        (_ops, _tensors, _inputs, _inputDims, _outputs) = (ops, tensors, inputs, inputDims, outputs);
        for (int k = 0; k < ops.Count; k++)
            foreach (var i in ops[k].Node.Input) if (i.Length > 0) _lastUse[i] = k;
    }

    /// <summary>Every graph output for the graph inputs in order; the outputs belong to the caller's scope.</summary>
    public Tensor[] Run(IReadOnlyList<Tensor> inputs, bool training)
    {
        if (inputs.Count != _inputs.Length)
            throw new ArgumentException($"The ONNX graph takes {_inputs.Length} inputs ({string.Join(", ", _inputs)}), {inputs.Count} were given.");
        var values = new Dictionary<string, Tensor>(_tensors);
        for (int i = 0; i < inputs.Count; i++)
        {
            // The declared sizes are the exporter's example; only the rank binds (a model is fed other sizes when fine-tuned).
            if (_inputDims[i].Length > 0 && inputs[i].Rank != _inputDims[i].Length)
                throw new ArgumentException($"The ONNX input '{_inputs[i]}' is declared [{string.Join(", ", _inputDims[i])}]; got {inputs[i].Shape}.");
            values[_inputs[i]] = inputs[i];
        }
        var graph = new GraphValues(values);
        var made = new HashSet<Tensor>(ReferenceEqualityComparer.Instance);
        for (int k = 0; k < _ops.Count; k++)
        {
            var op = _ops[k];
            Tensor[] outs;
            try
            {
                outs = op.Run(graph, training);
            }
            catch (Exception e) when (e is ArgumentException or NotSupportedException)
            {
                throw new InvalidDataException(OnnxGraphFile.Printable($"ONNX node {op.Where}: {e.Message}"), e);
            }
            for (int o = 0; o < op.Node.Output.Count && o < outs.Length; o++)
            {
                if (op.Node.Output[o].Length == 0) continue;
                values[op.Node.Output[o]] = outs[o];
                made.Add(outs[o]);
            }
            if (!GradMode.IsEnabled) Release(op, k, values, made);
        }
        // An output that is a graph input or a parameter itself is handed out as a new view, never as the original.
        return [.. _outputs.Select(o => made.Contains(values[o]) ? values[o] : F.Reshape(values[o], [.. values[o].Shape]))];
    }

    private void Release(ImportedOp op, int k, Dictionary<string, Tensor> values, HashSet<Tensor> made)
    {
        foreach (var name in op.Node.Input)
        {
            if (name.Length == 0 || _lastUse[name] != k || _outputs.Contains(name) || !values.TryGetValue(name, out var t) || !made.Contains(t)) continue;
            // An op may pass a tensor through under a second name (a split of one part); it is freed with its last name.
            if (values.Any(v => v.Key != name && ReferenceEquals(v.Value, t))) continue;
            t.Dispose();
            values.Remove(name);
        }
    }
}
