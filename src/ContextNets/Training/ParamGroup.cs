using ContextNets.NN;

namespace ContextNets.Training;

/// <summary>
/// Parameters that share a weight decay and a learning-rate scale, as a
/// torch.optim param_group does (the group's lr is the optimizer's lr times
/// <see cref="LrScale"/>, so one schedule drives every group).
/// </summary>
public sealed class ParamGroup
{
    public ParamGroup(IEnumerable<(string name, Tensor tensor)> parameters, double weightDecay = 0, double lrScale = 1)
    {
        Parameters = parameters.ToList();
        WeightDecay = weightDecay;
        LrScale = lrScale;
    }

    public IReadOnlyList<(string name, Tensor tensor)> Parameters { get; }
    public double WeightDecay { get; set; }
    public double LrScale { get; set; }
}

public static class ParamGroups
{
    /// <summary>Every trainable parameter in one group with the same weight decay.</summary>
    public static IReadOnlyList<ParamGroup> All(Module model, double weightDecay) =>
        [new ParamGroup(Trainable(model), weightDecay)];

    /// <summary>
    /// timm's param_groups_weight_decay: BatchNorm/LayerNorm weights, biases and any other parameter of rank 0 or 1
    /// get no decay; the rest get <paramref name="weightDecay"/>. <paramref name="alsoSkip"/> names more parameters
    /// to exempt (timm's no_weight_decay list, e.g. position embeddings).
    /// </summary>
    public static IReadOnlyList<ParamGroup> NoDecayOnNormAndBias(Module model, double weightDecay, IEnumerable<string>? alsoSkip = null)
    {
        var skip = new HashSet<string>(alsoSkip ?? []);
        var all = Trainable(model).ToList();
        var noDecay = all.Where(p => IsExempt(p.name, p.tensor) || skip.Contains(p.name));
        var decay = all.Where(p => !IsExempt(p.name, p.tensor) && !skip.Contains(p.name));
        return [new ParamGroup(noDecay, 0), new ParamGroup(decay, weightDecay)];
    }

    /// <summary>
    /// Each group split in two for fine-tuning: the parameters <paramref name="isHead"/> picks keep the group's
    /// learning rate, the others (the backbone's) get it times <paramref name="backboneLrScale"/>. Empty groups are dropped.
    /// </summary>
    public static IReadOnlyList<ParamGroup> WithBackboneLr(IReadOnlyList<ParamGroup> groups, Func<string, bool> isHead, double backboneLrScale) =>
        [.. groups.SelectMany(g => new[]
        {
            new ParamGroup(g.Parameters.Where(p => !isHead(p.name)), g.WeightDecay, g.LrScale * backboneLrScale),
            new ParamGroup(g.Parameters.Where(p => isHead(p.name)), g.WeightDecay, g.LrScale),
        }).Where(g => g.Parameters.Count > 0)];

    /// <summary>timm's rule: rank &lt;= 1 (norm scales and shifts, biases) or a name ending in "bias".</summary>
    public static bool IsExempt(string name, Tensor tensor) => tensor.Rank <= 1 || name == "bias" || name.EndsWith(".bias", StringComparison.Ordinal);

    private static IEnumerable<(string name, Tensor tensor)> Trainable(Module model) =>
        model.NamedParameters().Where(p => p.tensor.RequiresGrad);
}
