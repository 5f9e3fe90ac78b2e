namespace ContextNets.NN;

/// <summary>torch.nn.Conv3d: parameters `weight` [out, in/groups, kD, kH, kW] and `bias` [out].</summary>
public sealed class Conv3d : Module
{
    public Conv3d(int inChannels, int outChannels, (int d, int h, int w) kernelSize, (int d, int h, int w)? stride = null,
        (int d, int h, int w) padding = default, (int d, int h, int w)? dilation = null, int groups = 1, bool bias = true)
    {
        if (inChannels < 1 || outChannels < 1 || Math.Min(kernelSize.d, Math.Min(kernelSize.h, kernelSize.w)) < 1)
            throw new ArgumentException($"Conv3d({inChannels}, {outChannels}, kernel {kernelSize}): sizes must be positive.");
        if (groups < 1 || inChannels % groups != 0 || outChannels % groups != 0)
            throw new ArgumentException($"Conv3d: {inChannels} in and {outChannels} out channels must both divide by groups = {groups}.");
        InChannels = inChannels;
        OutChannels = outChannels;
        KernelSize = kernelSize;
        Stride = stride ?? (1, 1, 1);
        Padding = padding;
        Dilation = dilation ?? (1, 1, 1);
        Groups = groups;
        int fanIn = inChannels / groups * kernelSize.d * kernelSize.h * kernelSize.w;
        Weight = RegisterParameter("weight", Init([outChannels, inChannels / groups, kernelSize.d, kernelSize.h, kernelSize.w], Initializers.FanIn(fanIn)));
        Bias = bias ? RegisterParameter("bias", Init([outChannels], Initializers.FanIn(fanIn))) : null;
    }

    public int InChannels { get; }
    public int OutChannels { get; }
    public (int d, int h, int w) KernelSize { get; }
    public (int d, int h, int w) Stride { get; }
    public (int d, int h, int w) Padding { get; }
    public (int d, int h, int w) Dilation { get; }
    public int Groups { get; }
    public Tensor Weight { get; }
    public Tensor? Bias { get; }

    public override Tensor Forward(Tensor x) => F.Conv3d(x, Weight, Bias, Stride, Padding, Dilation, Groups);
}
