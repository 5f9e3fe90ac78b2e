using System.Numerics.Tensors;
using ContextNets.NN;

namespace ContextNets.Training;

/// <summary>
/// timm's ModelEmaV2: an exponential moving average of every parameter and
/// buffer (BatchNorm's running statistics too), e = decay * e + (1 - decay) * m,
/// held as tensors outside every scope. Evaluating with the averaged weights
/// means copying them into a model of the same architecture (<see cref="CopyTo"/>).
/// </summary>
public sealed class ModelEma : IDisposable
{
    private readonly (string name, Tensor ema)[] _entries;
    private Module? _source;
    private Tensor[] _sourceTensors = [];
    private bool _disposed;

    /// <summary>Starts the average at the model's current values.</summary>
    public ModelEma(Module model, double decay = 0.9998)
    {
        if (!(decay >= 0 && decay <= 1)) throw new ArgumentException($"The EMA decay must be in [0, 1], not {decay}.");
        Decay = decay;
        _entries = StateOf(model).Select(kv => (kv.name, CopyOf(kv.name, kv.tensor))).ToArray();
    }

    public double Decay { get; set; }

    private static Tensor CopyOf(string name, Tensor t)
    {
        var copy = Tensor.EmptyUnscoped(t.Shape, t.Format);
        if (!copy.SameLayout(t))
        {
            copy.Dispose();
            throw new ArgumentException($"'{name}' {t.Shape} is neither row-major nor channels-last; the EMA averages dense tensors in their memory order.");
        }
        F.CopyInto(t, copy);
        return copy;
    }

    /// <summary>The averaged tensors by state-dict name (the EMA's own tensors).</summary>
    public IReadOnlyDictionary<string, Tensor> StateDict() => _entries.ToDictionary(e => e.name, e => e.ema);

    /// <summary>Folds the model's current values in. The model must be the one (or the architecture) the EMA was made from.</summary>
    public void Update(Module model)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        var weight = (float)(1 - Decay);
        var source = SourceTensors(model);
        for (int i = 0; i < source.Length; i++)
        {
            var e = _entries[i].ema;
            TensorPrimitives.Lerp(e.Span, source[i].Span, weight, e.Span);
        }
    }

    private static IEnumerable<(string name, Tensor tensor)> StateOf(Module model) => model.NamedParameters().Concat(model.NamedBuffers());

    /// <summary>The model's tensors in entry order, checked once per model rather than walked every step.</summary>
    private Tensor[] SourceTensors(Module model)
    {
        if (ReferenceEquals(model, _source)) return _sourceTensors;
        var state = StateOf(model).ToArray();
        if (state.Length != _entries.Length) throw new InvalidOperationException($"The EMA has {_entries.Length} tensors, the model {state.Length}: it was made from another architecture.");
        for (int i = 0; i < state.Length; i++)
            if (_entries[i].name != state[i].name || !_entries[i].ema.SameLayout(state[i].tensor))
                throw new InvalidOperationException($"The EMA was made from another model: its entry '{_entries[i].name}' {_entries[i].ema.Shape} meets '{state[i].name}' {state[i].tensor.Shape}.");
        _sourceTensors = state.Select(s => s.tensor).ToArray();
        _source = model;
        return _sourceTensors;
    }

    /// <summary>Copies the averaged values into <paramref name="model"/> (a twin of the trained one, or the trained one itself).</summary>
    public void CopyTo(Module model)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        model.LoadStateDict(StateDict());
    }

    /// <summary>Throws unless <paramref name="tensors"/> has exactly this EMA's names and shapes.</summary>
    internal void ValidateState(IReadOnlyDictionary<string, Tensor> tensors)
    {
        var missing = _entries.Where(e => !tensors.ContainsKey(e.name)).Select(e => e.name).ToList();
        var unexpected = tensors.Keys.Where(k => _entries.All(e => e.name != k)).ToList();
        if (missing.Count > 0 || unexpected.Count > 0) throw new InvalidDataException($"The EMA state does not match the model: {new LoadReport(missing, unexpected)}.");
        foreach (var (name, ema) in _entries)
            if (tensors[name].Shape != ema.Shape) throw new InvalidDataException($"EMA '{name}' has shape {tensors[name].Shape} in the checkpoint, but the model's is {ema.Shape}.");
    }

    internal void ApplyState(IReadOnlyDictionary<string, Tensor> tensors)
    {
        foreach (var (name, ema) in _entries) F.CopyInto(tensors[name], ema);
    }

    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        foreach (var (_, t) in _entries) t.Dispose();
    }
}
