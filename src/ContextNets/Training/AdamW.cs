using System.Numerics.Tensors;
using ContextNets.NN;

namespace ContextNets.Training;

/// <summary>
/// torch.optim.AdamW (amsgrad off): the decay is decoupled, p *= 1 - lr * wd; then
/// m = lerp(m, g, 1 - beta1); v = beta2 * v + (1 - beta2) * g^2;
/// p -= lr / (1 - beta1^t) * m / (sqrt(v) / sqrt(1 - beta2^t) + eps).
/// </summary>
public sealed class AdamW : Optimizer
{
    public AdamW(IReadOnlyList<ParamGroup> groups, double learningRate = 1e-3, double beta1 = 0.9, double beta2 = 0.999, double eps = 1e-8)
        : base(groups, learningRate, ["exp_avg", "exp_avg_sq"])
    {
        if (!(beta1 >= 0 && beta1 < 1) || !(beta2 >= 0 && beta2 < 1)) throw new ArgumentException($"AdamW: betas must be in [0, 1), not ({beta1}, {beta2}).");
        if (!(eps >= 0)) throw new ArgumentException($"AdamW: eps must be >= 0, not {eps}.");
        Beta1 = beta1;
        Beta2 = beta2;
        Eps = eps;
    }

    /// <summary>One group, with no decay on norm weights and biases when <paramref name="noDecayOnNormAndBias"/> (timm's default for AdamW).</summary>
    public static AdamW For(Module model, double learningRate = 1e-3, double weightDecay = 0.01, bool noDecayOnNormAndBias = true, double beta1 = 0.9, double beta2 = 0.999, double eps = 1e-8) =>
        new(noDecayOnNormAndBias ? ParamGroups.NoDecayOnNormAndBias(model, weightDecay) : ParamGroups.All(model, weightDecay), learningRate, beta1, beta2, eps);

    public double Beta1 { get; }
    public double Beta2 { get; }
    public double Eps { get; }
    public override string Kind => "AdamW";

    protected override void Update(Span<float> param, ReadOnlySpan<float> grad, Tensor[] state, Span<float> work, double lr, double weightDecay, long step)
    {
        var m = state[0].Span;
        var v = state[1].Span;
        if (weightDecay != 0) TensorPrimitives.Multiply(param, (float)(1 - lr * weightDecay), param);
        TensorPrimitives.Lerp(m, grad, (float)(1 - Beta1), m);
        TensorPrimitives.Multiply(grad, (float)(1 - Beta2), work);
        TensorPrimitives.Multiply(work, grad, work);
        TensorPrimitives.MultiplyAdd(v, (float)Beta2, work, v);

        double stepSize = lr / (1 - Math.Pow(Beta1, step));
        double correction2Sqrt = Math.Sqrt(1 - Math.Pow(Beta2, step));
        TensorPrimitives.Sqrt(v, work);
        TensorPrimitives.Divide(work, (float)correction2Sqrt, work);
        TensorPrimitives.Add(work, (float)Eps, work);
        TensorPrimitives.Divide(m, work, work);
        TensorPrimitives.MultiplyAdd(work, (float)-stepSize, param, param);
    }
}
