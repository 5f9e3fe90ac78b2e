namespace ContextNets.NN;

/// <summary>torch.nn.Sequential: children named "0", "1", ..., applied in order.</summary>
public sealed class Sequential : Module
{
    private readonly List<Module> _layers = [];

    public Sequential(params Module[] layers)
    {
        foreach (var layer in layers) Add(layer);
    }

    public int Count => _layers.Count;
    public Module this[int index] => _layers[index];

    public Sequential Add(Module layer)
    {
        _layers.Add(Register(_layers.Count.ToString(System.Globalization.CultureInfo.InvariantCulture), layer));
        return this;
    }

    public override Tensor Forward(Tensor x)
    {
        foreach (var layer in _layers) x = layer.Forward(x);
        return x;
    }
}

/// <summary>
/// A parameterless layer from a function (ReLU, Sigmoid, Identity). <paramref name="kind"/> names a standard function
/// ("relu", "sigmoid", "identity") for those that need to know which one it is (the ONNX exporter); null for any other.
/// </summary>
public sealed class Lambda(Func<Tensor, Tensor> fn, string? kind = null) : Module
{
    public static Lambda Relu() => new(F.Relu, "relu");
    public static Lambda Sigmoid() => new(F.Sigmoid, "sigmoid");
    public static Lambda Identity() => new(x => x, "identity");

    public string? Kind { get; } = kind;

    public override Tensor Forward(Tensor x) => fn(x);
}
