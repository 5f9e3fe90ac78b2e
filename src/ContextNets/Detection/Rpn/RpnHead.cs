using ContextNets.NN;

namespace ContextNets.Detection.Rpn;

/// <summary>
/// torchvision's RPNHead: a shared 3x3 conv with ReLU (`conv.0.0`), then per position A objectness logits
/// (`cls_logits`) and 4A box codes (`bbox_pred`), on every FPN level. Weights start normal (std 0.01), biases 0.
/// </summary>
public sealed class RpnHead : Module
{
    private readonly Sequential _conv;
    private readonly Conv2d _logits;
    private readonly Conv2d _deltas;

    public RpnHead(int channels, int anchorsPerLocation)
    {
        _conv = Register("conv", new Sequential(new Sequential(Normal(new Conv2d(channels, channels, 3, padding: 1)), Lambda.Relu())));
        _logits = Register("cls_logits", Normal(new Conv2d(channels, anchorsPerLocation, 1)));
        _deltas = Register("bbox_pred", Normal(new Conv2d(channels, 4 * anchorsPerLocation, 1)));
    }

    public override Tensor Forward(Tensor x) => _logits.Forward(_conv.Forward(x));

    /// <summary>The objectness logits [N, A, H, W] and box codes [N, 4A, H, W] of each level.</summary>
    public (Tensor logits, Tensor deltas)[] ForwardLevels(IReadOnlyList<Tensor> levels) =>
        [.. levels.Select(level =>
        {
            var t = _conv.Forward(level);
            return (_logits.Forward(t), _deltas.Forward(t));
        })];

    private static Conv2d Normal(Conv2d conv)
    {
        Initializers.Normal(0.01)(conv.Weight.Span);
        conv.Bias!.Span.Clear();
        return conv;
    }
}
