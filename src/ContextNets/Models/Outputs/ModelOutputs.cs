using ContextNets.Autograd;

namespace ContextNets.Models.Outputs;

/// <summary>How an output is stored in a file: float32, or int64 for indices such as a detector's labels.</summary>
public enum OutputType { Float32, Int64 }

/// <summary>One named output of a model and its stored element type.</summary>
public sealed record ModelOutput(string Name, Tensor Value, OutputType Type);

/// <summary>
/// The named outputs of one run of a model (<see cref="IOutputModel.Run"/>), in the order the model gives them. The
/// collection owns its tensors: dispose it when done, or take the tensors out by name and dispose them yourself.
/// </summary>
public sealed class ModelOutputs : IDisposable
{
    private readonly List<ModelOutput> _outputs = [];

    public IReadOnlyList<ModelOutput> All => _outputs;

    public Tensor this[string name] =>
        _outputs.Find(o => o.Name == name)?.Value ?? throw new KeyNotFoundException($"No output named '{name}'; the model gives {string.Join(", ", _outputs.Select(o => o.Name))}.");

    /// <summary>Adds an output, which the collection then owns.</summary>
    public ModelOutputs Add(string name, Tensor value, OutputType type = OutputType.Float32)
    {
        ArgumentNullException.ThrowIfNull(value);
        if (_outputs.Exists(o => o.Name == name)) throw new ArgumentException($"The output '{name}' is given twice.");
        _outputs.Add(new ModelOutput(name, value, type));
        return this;
    }

    /// <summary>
    /// A classifier's outputs: <paramref name="logits"/> of <paramref name="input"/> as `logits`, computed without
    /// recording gradients, its temporaries freed at once.
    /// </summary>
    public static ModelOutputs Classifier(Tensor input, Func<Tensor, Tensor> logits)
    {
        ArgumentNullException.ThrowIfNull(logits);
        using var noGrad = GradMode.NoGrad();
        using var scope = Tensor.Scope();
        var y = logits(input);
        return new ModelOutputs().Add(OutputNames.Logits, scope.Disown(y));
    }

    public void Dispose()
    {
        foreach (var o in _outputs) o.Value.Dispose();
        _outputs.Clear();
    }
}
