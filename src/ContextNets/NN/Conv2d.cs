namespace ContextNets.NN;

/// <summary>torch.nn.Conv2d: parameters `weight` [out, in/groups, k, k] and `bias` [out].</summary>
public sealed class Conv2d : Module
{
    public Conv2d(int inChannels, int outChannels, int kernelSize, int stride = 1, int padding = 0, int dilation = 1, int groups = 1, bool bias = true)
    {
        if (inChannels < 1 || outChannels < 1 || kernelSize < 1)
            throw new ArgumentException($"Conv2d({inChannels}, {outChannels}, kernel {kernelSize}): sizes must be positive.");
        if (groups < 1 || inChannels % groups != 0 || outChannels % groups != 0)
            throw new ArgumentException($"Conv2d: {inChannels} in and {outChannels} out channels must both divide by groups = {groups}.");
        InChannels = inChannels;
        OutChannels = outChannels;
        KernelSize = kernelSize;
        Stride = stride;
        Padding = padding;
        Dilation = dilation;
        Groups = groups;
        int fanIn = inChannels / groups * kernelSize * kernelSize;
        Weight = RegisterParameter("weight", Init([outChannels, inChannels / groups, kernelSize, kernelSize], Initializers.FanIn(fanIn)));
        Bias = bias ? RegisterParameter("bias", Init([outChannels], Initializers.FanIn(fanIn))) : null;
    }

    public int InChannels { get; }
    public int OutChannels { get; }
    public int KernelSize { get; }
    public int Stride { get; }
    public int Padding { get; }
    public int Dilation { get; }
    public int Groups { get; }
    public Tensor Weight { get; }
    public Tensor? Bias { get; }

    public override Tensor Forward(Tensor x) => F.Conv2d(x, Weight, Bias, Stride, Padding, Dilation, Groups);
}
