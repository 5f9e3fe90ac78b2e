namespace ContextNets.NN;

/// <summary>timm's LayerNorm2d: a LayerNorm over the channels of [N, C, H, W], `weight` and `bias` [C].</summary>
public sealed class LayerNorm2d : Module
{
    public LayerNorm2d(int channels, float eps = 1e-6f)
    {
        if (channels < 1) throw new ArgumentException($"LayerNorm2d({channels}): channels must be positive.");
        Eps = eps;
        Weight = RegisterParameter("weight", Init([channels], Initializers.Constant(1f)));
        Bias = RegisterParameter("bias", Init([channels]));
    }

    public float Eps { get; }
    public Tensor Weight { get; }
    public Tensor Bias { get; }

    public override Tensor Forward(Tensor x) => F.LayerNorm2d(x, Weight, Bias, Eps);
}
