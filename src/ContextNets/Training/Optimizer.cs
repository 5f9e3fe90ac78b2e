using ContextNets.Autograd;

namespace ContextNets.Training;

/// <summary>
/// The part every optimizer shares: the parameter slots, their state tensors
/// (allocated once, zero-filled, outside every scope, freed by Dispose), the
/// per-parameter step counts, and the state export a checkpoint needs.
/// Step() updates the parameters' memory in place and allocates nothing, so a
/// run of thousands of steps keeps its memory flat. Parameters without a
/// gradient are skipped, as in PyTorch: no decay, no momentum, no step count.
/// </summary>
public abstract class Optimizer : IDisposable
{
    private readonly Slot[] _slots;
    private readonly Tensor _work, _gradCopy;
    private bool _disposed;

    private sealed class Slot(string name, Tensor param, ParamGroup group, Tensor[] state)
    {
        public readonly string Name = name;
        public readonly Tensor Param = param;
        public readonly ParamGroup Group = group;
        public readonly Tensor[] State = state;
        public long Steps;
    }

    protected Optimizer(IReadOnlyList<ParamGroup> groups, double learningRate, IReadOnlyList<string> stateNames)
    {
        if (!(learningRate >= 0)) throw new ArgumentException($"{GetType().Name}: the learning rate must be >= 0, not {learningRate}.");
        Groups = groups;
        LearningRate = learningRate;
        StateNames = stateNames;
        var names = new HashSet<string>();
        var tensors = new HashSet<Tensor>(ReferenceEqualityComparer.Instance);
        var slots = new List<Slot>();
        int maxNumel = 1;
        foreach (var group in groups)
            foreach (var (name, p) in group.Parameters)
            {
                if (!names.Add(name) || !tensors.Add(p))
                    throw new ArgumentException($"{GetType().Name}: parameter '{name}' appears in more than one group (or twice in one).");
                slots.Add(new Slot(name, p, group, stateNames.Select(_ => NewStateLike(name, p)).ToArray()));
                maxNumel = Math.Max(maxNumel, p.Numel);
            }
        _slots = [.. slots];
        _work = Tensor.EmptyUnscoped([maxNumel]);
        _gradCopy = Tensor.EmptyUnscoped([maxNumel]);
    }

    private static Tensor NewStateLike(string name, Tensor p)
    {
        var s = Tensor.EmptyUnscoped(p.Shape, p.Format);
        if (!s.SameLayout(p))
        {
            s.Dispose();
            throw new ArgumentException($"Parameter '{name}' {p.Shape} is neither row-major nor channels-last; the optimizer updates dense parameters in their memory order.");
        }
        s.Span.Clear();
        return s;
    }

    /// <summary>The base learning rate; a group's is this times its LrScale. A schedule sets it before each step.</summary>
    public double LearningRate { get; set; }

    public IReadOnlyList<ParamGroup> Groups { get; }

    /// <summary>The optimizer's name in a checkpoint ("SGD", "AdamW"): a resumed run must use the same kind.</summary>
    public abstract string Kind { get; }

    /// <summary>The per-parameter state tensors' names, as PyTorch's state dict has them ("momentum_buffer", "exp_avg"...).</summary>
    public IReadOnlyList<string> StateNames { get; }

    /// <summary>
    /// One parameter's update, in memory order. <paramref name="work"/> is scratch of the parameter's length;
    /// <paramref name="step"/> counts this update (1 for the first).
    /// </summary>
    protected abstract void Update(Span<float> param, ReadOnlySpan<float> grad, Tensor[] state, Span<float> work, double lr, double weightDecay, long step);

    public void Step()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        using var noGrad = GradMode.NoGrad();
        foreach (var s in _slots)
        {
            if (s.Param.Grad is not { } grad) continue;
            s.Steps++;
            Update(s.Param.Span, GradInParamOrder(s, grad), s.State, _work.Span[..s.Param.Numel],
                LearningRate * s.Group.LrScale, s.Group.WeightDecay, s.Steps);
            s.Param.Touch();
        }
    }

    /// <summary>Drops every parameter's gradient (PyTorch's set_to_none).</summary>
    public void ZeroGrad()
    {
        foreach (var s in _slots) s.Param.ZeroGrad();
    }

    /// <summary>The trainable tensors, in group order.</summary>
    public IEnumerable<Tensor> Parameters() => _slots.Select(s => s.Param);

    /// <summary>For gradient clipping: each parameter once, without an enumerator per call.</summary>
    internal int ParameterCount => _slots.Length;
    internal Tensor ParameterAt(int i) => _slots[i].Param;

    /// <summary>A gradient may come back in another memory order than its parameter (a conv weight's, say); reorder it into scratch.</summary>
    private unsafe ReadOnlySpan<float> GradInParamOrder(Slot s, Tensor grad)
    {
        var p = s.Param;
        if (grad.Shape != p.Shape) throw new InvalidOperationException($"Parameter '{s.Name}' {p.Shape} has a gradient of shape {grad.Shape}.");
        if (grad.SameLayout(p)) return grad.Span;
        StridedCopy.Copy(grad.Data, grad.Strides, _gradCopy.Data, p.Strides, p.Shape);
        return new ReadOnlySpan<float>(_gradCopy.Data, p.Numel);
    }

    // ---------------------------------------------------------------- checkpoint state

    /// <summary>The state tensors by "param.state" keys (the optimizer's own tensors, not copies).</summary>
    public IEnumerable<(string key, Tensor tensor)> StateTensors() =>
        _slots.SelectMany(s => StateNames.Select((n, k) => ($"{s.Name}.{n}", s.State[k])));

    /// <summary>The scalar state: the kind and how many updates each parameter has had.</summary>
    public OptimizerSnapshot Snapshot() => new(Kind, _slots.ToDictionary(s => s.Name, s => s.Steps));

    /// <summary>Throws, naming what is wrong, unless <paramref name="snapshot"/> and <paramref name="tensors"/> fit this optimizer exactly.</summary>
    internal void ValidateState(OptimizerSnapshot snapshot, IReadOnlyDictionary<string, Tensor> tensors)
    {
        if (snapshot.Kind != Kind) throw new InvalidDataException($"The checkpoint holds {snapshot.Kind} state, but this run uses {Kind}.");
        var expected = StateTensors().ToDictionary(t => t.key, t => t.tensor.Shape);
        var missing = expected.Keys.Where(k => !tensors.ContainsKey(k)).Concat(_slots.Where(s => !snapshot.Steps.ContainsKey(s.Name)).Select(s => s.Name + " (step count)")).ToList();
        var unexpected = tensors.Keys.Where(k => !expected.ContainsKey(k)).Concat(snapshot.Steps.Keys.Where(k => _slots.All(s => s.Name != k))).ToList();
        if (missing.Count > 0 || unexpected.Count > 0)
            throw new InvalidDataException($"The {Kind} state does not match the parameters: {new NN.LoadReport(missing, unexpected)}.");
        foreach (var (key, shape) in expected)
            if (tensors[key].Shape != shape) throw new InvalidDataException($"Optimizer state '{key}' has shape {tensors[key].Shape} in the checkpoint, but the parameter's is {shape}.");
        foreach (var (name, steps) in snapshot.Steps)
            if (steps < 0) throw new InvalidDataException($"Optimizer step count {steps} for '{name}' is negative.");
    }

    /// <summary>Copies validated state in (call <see cref="ValidateState"/> first).</summary>
    internal void ApplyState(OptimizerSnapshot snapshot, IReadOnlyDictionary<string, Tensor> tensors)
    {
        foreach (var s in _slots)
        {
            for (int k = 0; k < StateNames.Count; k++) F.CopyInto(tensors[$"{s.Name}.{StateNames[k]}"], s.State[k]);
            s.Steps = snapshot.Steps[s.Name];
        }
    }

    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        foreach (var s in _slots)
            foreach (var t in s.State) t.Dispose();
        _work.Dispose();
        _gradCopy.Dispose();
        GC.SuppressFinalize(this);
    }
}

/// <summary>An optimizer's scalar state, for a checkpoint's JSON.</summary>
public sealed record OptimizerSnapshot(string Kind, Dictionary<string, long> Steps);
