using System.Numerics.Tensors;
using ContextNets.NN;

namespace ContextNets.Training;

/// <summary>
/// torch.optim.SGD with dampening 0: the decay is coupled (added to the gradient),
/// d = g + wd * p; buf = momentum * buf + d; d = nesterov ? d + momentum * buf : buf; p -= lr * d.
/// The momentum buffer starts at zero, which gives PyTorch's first step (buf = d) exactly.
/// </summary>
public sealed class Sgd : Optimizer
{
    public Sgd(IReadOnlyList<ParamGroup> groups, double learningRate, double momentum = 0, bool nesterov = false)
        : base(groups, learningRate, momentum != 0 ? ["momentum_buffer"] : [])
    {
        if (!(momentum >= 0 && momentum < 1)) throw new ArgumentException($"SGD: momentum must be in [0, 1), not {momentum}.");
        if (nesterov && momentum == 0) throw new ArgumentException("SGD: Nesterov momentum needs momentum > 0.");
        Momentum = momentum;
        Nesterov = nesterov;
    }

    /// <summary>One group, with no decay on norm weights and biases when <paramref name="noDecayOnNormAndBias"/>.</summary>
    public static Sgd For(Module model, double learningRate, double momentum = 0.9, double weightDecay = 0, bool nesterov = false, bool noDecayOnNormAndBias = false) =>
        new(noDecayOnNormAndBias ? ParamGroups.NoDecayOnNormAndBias(model, weightDecay) : ParamGroups.All(model, weightDecay), learningRate, momentum, nesterov);

    public double Momentum { get; }
    public bool Nesterov { get; }
    public override string Kind => "SGD";

    protected override void Update(Span<float> param, ReadOnlySpan<float> grad, Tensor[] state, Span<float> work, double lr, double weightDecay, long step)
    {
        ReadOnlySpan<float> d = grad;
        if (weightDecay != 0)
        {
            TensorPrimitives.MultiplyAdd(param, (float)weightDecay, grad, work);
            d = work;
        }
        if (Momentum != 0)
        {
            var buf = state[0].Span;
            TensorPrimitives.MultiplyAdd(buf, (float)Momentum, d, buf);
            if (Nesterov)
            {
                TensorPrimitives.MultiplyAdd(buf, (float)Momentum, d, work);
                d = work;
            }
            else d = buf;
        }
        TensorPrimitives.MultiplyAdd(d, (float)-lr, param, param);
    }
}
