namespace ContextNets.NN;

/// <summary>torch.nn.Linear: `weight` [out, in] and `bias` [out].</summary>
public sealed class Linear : Module
{
    public Linear(int inFeatures, int outFeatures, bool bias = true)
    {
        if (inFeatures < 1 || outFeatures < 1) throw new ArgumentException($"Linear({inFeatures}, {outFeatures}): sizes must be positive.");
        InFeatures = inFeatures;
        OutFeatures = outFeatures;
        Weight = RegisterParameter("weight", Init([outFeatures, inFeatures], Initializers.FanIn(inFeatures)));
        Bias = bias ? RegisterParameter("bias", Init([outFeatures], Initializers.FanIn(inFeatures))) : null;
    }

    public int InFeatures { get; }
    public int OutFeatures { get; }
    public Tensor Weight { get; }
    public Tensor? Bias { get; }

    public override Tensor Forward(Tensor x) => F.Linear(x, Weight, Bias);
}
