namespace ContextNets.NN;

/// <summary>
/// How one tensor of a file met the model: its key in the file, the model's key it went to (null when none of the
/// model's keys takes it), both shapes, and whether it was reshaped on the way (singleton dimensions only, as
/// mmcv's [p, 1, 1] LayerNorm parameters become [p]).
/// </summary>
public sealed record MappedKey(string Source, string? Target, Shape SourceShape, Shape? TargetShape)
{
    public bool Reshaped => TargetShape is { } t && t != SourceShape;
}
