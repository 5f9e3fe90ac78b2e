using System.Reflection;

namespace ContextNets.NN;

/// <summary>
/// A layer or a network, in the shape of torch.nn.Module: named parameters,
/// buffers and children, a train/eval switch and a state dict. Registration
/// is explicit (Register*, in the constructor), and the first walk over the
/// tree checks by reflection that no Module field was left unregistered, so a
/// submodule can never be silently skipped by StateDict or the optimizer.
/// A module owns its parameters and buffers; Dispose frees them.
/// </summary>
public abstract class Module : IDisposable
{
    private readonly List<(string name, Tensor tensor)> _parameters = [];
    private readonly List<(string name, Tensor tensor)> _buffers = [];
    private readonly List<(string name, Module module)> _children = [];
    private bool _checked;

    public bool Training { get; private set; } = true;

    /// <summary>
    /// Set by <see cref="Freeze"/>: the module's parameters take no gradient and it stays in eval mode through
    /// <see cref="Train"/>, so its BatchNorms keep their running statistics, as users of a frozen backbone expect.
    /// </summary>
    public bool Frozen { get; private set; }

    public abstract Tensor Forward(Tensor x);

    protected T Register<T>(string name, T module) where T : Module
    {
        CheckName(name);
        _children.Add((name, module));
        return module;
    }

    /// <summary>Takes ownership of a parameter tensor (made with <see cref="Init"/>); it requires a gradient.</summary>
    protected Tensor RegisterParameter(string name, Tensor tensor)
    {
        CheckName(name);
        tensor.RequiresGrad = true;
        _parameters.Add((name, tensor));
        return tensor;
    }

    /// <summary>Takes ownership of a buffer: state that is saved but not trained (BatchNorm's running stats).</summary>
    protected Tensor RegisterBuffer(string name, Tensor tensor)
    {
        CheckName(name);
        _buffers.Add((name, tensor));
        return tensor;
    }

    private void CheckName(string name)
    {
        if (string.IsNullOrEmpty(name) || name.Contains('.'))
            throw new ArgumentException($"{GetType().Name}: '{name}' is not a valid member name (non-empty, no dots).");
        if (_parameters.Any(p => p.name == name) || _buffers.Any(b => b.name == name) || _children.Any(c => c.name == name))
            throw new ArgumentException($"{GetType().Name}: '{name}' is registered twice.");
    }

    public IEnumerable<(string name, Module module)> NamedChildren() => _children;

    /// <summary>Every module in the tree, depth first, with its dotted path ("" for this one).</summary>
    public IEnumerable<(string name, Module module)> NamedModules(string prefix = "")
    {
        CheckRegistration();
        yield return (prefix, this);
        foreach (var (name, child) in _children)
            foreach (var m in child.NamedModules(Join(prefix, name)))
                yield return m;
    }

    public IEnumerable<(string name, Tensor tensor)> NamedParameters() =>
        NamedModules().SelectMany(m => m.module._parameters.Select(p => (Join(m.name, p.name), p.tensor)));

    public IEnumerable<(string name, Tensor tensor)> NamedBuffers() =>
        NamedModules().SelectMany(m => m.module._buffers.Select(b => (Join(m.name, b.name), b.tensor)));

    public IEnumerable<Tensor> Parameters() => NamedParameters().Select(p => p.tensor);

    public long ParameterCount => Parameters().Sum(p => (long)p.Numel);

    /// <summary>Parameters and buffers by their dotted names, as timm/torchvision save them. The tensors are the module's own.</summary>
    public Dictionary<string, Tensor> StateDict() =>
        NamedParameters().Concat(NamedBuffers()).ToDictionary(p => p.name, p => p.tensor);

    /// <summary>
    /// Copies values in by name. Strict loading fails on any missing or unexpected key; a shape mismatch always fails, naming both shapes.
    /// PyTorch's BatchNorm counter `num_batches_tracked` is neither missing nor unexpected: no layer here uses it.
    /// </summary>
    public LoadReport LoadStateDict(IReadOnlyDictionary<string, Tensor> source, bool strict = true)
    {
        var own = StateDict();
        var missing = own.Keys.Where(k => !source.ContainsKey(k)).ToList();
        var unexpected = source.Keys.Where(k => !own.ContainsKey(k) && !IsBatchCounter(k)).ToList();
        var report = new LoadReport(missing, unexpected);
        if (strict && !report.IsComplete) throw new InvalidDataException($"{GetType().Name}: the state dict does not match. {report}");
        foreach (var (key, target) in own)
            if (source.TryGetValue(key, out var value) && value.Shape != target.Shape)
                throw new InvalidDataException($"{GetType().Name}: '{key}' has shape {value.Shape} in the state dict, but the model's is {target.Shape}.");
        foreach (var (key, target) in own)
            if (source.TryGetValue(key, out var value)) F.CopyInto(value, target);
        return report;
    }

    /// <summary>Training or eval mode for the whole tree; frozen modules stay in eval mode.</summary>
    public Module Train(bool training = true)
    {
        foreach (var (_, m) in NamedModules()) m.Training = training && !m.Frozen;
        return this;
    }

    /// <summary>
    /// Freezes this module and everything under it for fine-tuning: no parameter requires a gradient any more (so
    /// optimizers leave them out) and every module is put and kept in eval mode (BatchNorm uses and keeps its
    /// running statistics).
    /// </summary>
    public void Freeze()
    {
        foreach (var (_, m) in NamedModules())
        {
            m.Frozen = true;
            m.Training = false;
            foreach (var (_, p) in m._parameters) p.RequiresGrad = false;
        }
    }

    public Module Eval() => Train(false);

    public void ZeroGrad()
    {
        foreach (var p in Parameters()) p.ZeroGrad();
    }

    /// <summary>A new parameter or buffer tensor, outside every scope (the module owns it), filled by <paramref name="fill"/>.</summary>
    protected static Tensor Init(Shape shape, Action<Span<float>>? fill = null)
    {
        var t = Tensor.EmptyUnscoped(shape);
        t.Span.Clear();
        fill?.Invoke(t.Span);
        return t;
    }

    private static bool IsBatchCounter(string key) => key == "num_batches_tracked" || key.EndsWith(".num_batches_tracked", StringComparison.Ordinal);

    private static string Join(string prefix, string name) => prefix.Length == 0 ? name : prefix + "." + name;

    private void CheckRegistration()
    {
        if (_checked) return;
        for (var type = GetType(); type is not null && type != typeof(Module); type = type.BaseType)
            foreach (var field in type.GetFields(BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.DeclaredOnly))
            {
                if (field.GetValue(this) is Module m && !_children.Any(c => ReferenceEquals(c.module, m)))
                    throw new InvalidOperationException($"{type.Name}.{field.Name} holds a {m.GetType().Name} that was never registered; call Register(name, module) in the constructor.");
                if (field.GetValue(this) is Tensor { RequiresGrad: true, IsLeaf: true } t && !_parameters.Any(p => ReferenceEquals(p.tensor, t)))
                    throw new InvalidOperationException($"{type.Name}.{field.Name} holds a trainable tensor that was never registered; call RegisterParameter(name, tensor).");
            }
        _checked = true;
    }

    public virtual void Dispose()
    {
        foreach (var (_, c) in _children) c.Dispose();
        foreach (var (_, p) in _parameters) p.Dispose();
        foreach (var (_, b) in _buffers) b.Dispose();
        GC.SuppressFinalize(this);
    }
}

/// <summary>
/// What a state-dict load found: keys the model has and the file lacks, and keys the file has and the model lacks.
/// A load from a file (ModuleWeights.Load) also says which key convention it read the file's keys in, and how each
/// of the file's keys was mapped onto the model's.
/// </summary>
public sealed record LoadReport(IReadOnlyList<string> Missing, IReadOnlyList<string> Unexpected)
{
    public bool IsComplete => Missing.Count == 0 && Unexpected.Count == 0;

    /// <summary>What the file was ("safetensors", "torch.save zip", "torch.save, legacy format", with where the state dict sat); empty for an in-memory load.</summary>
    public string Source { get; init; } = "";

    /// <summary>The key convention of the file ("timm" when its keys are the model's own), and why it was chosen.</summary>
    public string Convention { get; init; } = "timm";

    /// <summary>Every tensor of the file, in file order, with the model key it went to (or none).</summary>
    public IReadOnlyList<MappedKey> Mapping { get; init; } = [];

    public override string ToString() =>
        $"{Missing.Count} missing ({string.Join(", ", Missing.Take(10))}{(Missing.Count > 10 ? ", ..." : "")}), " +
        $"{Unexpected.Count} unexpected ({string.Join(", ", Unexpected.Take(10))}{(Unexpected.Count > 10 ? ", ..." : "")})";
}
