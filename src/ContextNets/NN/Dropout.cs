namespace ContextNets.NN;

/// <summary>torch.nn.Dropout: inverted dropout with probability <see cref="P"/> in training, the identity in eval mode.</summary>
public sealed class Dropout(float p) : Module
{
    public float P { get; } = p is >= 0f and < 1f ? p : throw new ArgumentOutOfRangeException(nameof(p), p, "The dropout probability is in [0, 1).");

    public override Tensor Forward(Tensor x) => F.Dropout(x, P, Training);
}
