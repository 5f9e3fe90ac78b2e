using ContextNets.NN;

namespace ContextNets.Training;

/// <summary>
/// A copy of a model's parameters and buffers, outside every scope, to put back after the model held other weights
/// for a while (the EMA's, for an evaluation). Dispose frees the copy.
/// </summary>
internal sealed class WeightsStash : IDisposable
{
    private readonly Module _model;
    private readonly Dictionary<string, Tensor> _copy;

    public WeightsStash(Module model)
    {
        _model = model;
        _copy = model.StateDict().ToDictionary(kv => kv.Key, kv => Tensor.FromArray(kv.Value.ToArray(), kv.Value.Shape));
    }

    public void Restore() => _model.LoadStateDict(_copy);

    public void Dispose()
    {
        foreach (var t in _copy.Values) t.Dispose();
    }
}
