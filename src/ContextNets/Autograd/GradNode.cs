namespace ContextNets.Autograd;

/// <summary>
/// The backward rule of one op application: given the gradient of its output,
/// the gradients of its inputs (null where an input needs none).
/// </summary>
internal delegate Tensor?[] BackwardRule(Tensor gradOutput);

internal sealed class GradNode(string op, Tensor[] inputs, BackwardRule rule)
{
    public string Op { get; } = op;
    public Tensor[] Inputs { get; } = inputs;
    public BackwardRule Rule { get; } = rule;
}
