using ContextNets.NN;

namespace ContextNets.Attention;

/// <summary>
/// ResNeSt split-attention convolution (timm's SplitAttn, radix-major layout):
/// U = ReLU(BN(grouped conv)) with R*C channels, gap = mean over pixels of the
/// sum of the R splits, a = rSoftMax(fc2(ReLU(BN(fc1(gap))))) over the radix axis
/// (a sigmoid when R = 1), and out = sum over r of a_r * U_r.
/// Parameters: `conv`, `bn0`, `fc1`, `bn1`, `fc2`. The captured attention is the gate a [N, R, C].
/// </summary>
public sealed partial class SplitAttention : Module, IAttentionSource
{
    private readonly CapturedGate _captured = new();

    /// <param name="inChannels">input channels</param>
    /// <param name="outChannels">output channels C (default: inChannels)</param>
    /// <param name="kernelSize">the grouped conv's kernel, padded by dilation * (kernelSize / 2) (which keeps the size when it is odd; timm pads its dilated ResNeSt by the dilation)</param>
    /// <param name="stride">the grouped conv's stride</param>
    /// <param name="groups">the cardinality K: the conv has K*R groups, fc1 and fc2 K</param>
    /// <param name="radix">the number of splits R; 1 gives a sigmoid gate</param>
    /// <param name="rdRatio">inner width = make_divisible(inChannels * R * rdRatio, rdDivisor), at least 32</param>
    /// <param name="rdDivisor">the multiple the inner width is rounded to</param>
    /// <param name="dilation">the grouped conv's dilation (timm's ResNeSt passes a dilated stage's first_dilation, with padding to match)</param>
    public SplitAttention(int inChannels, int? outChannels = null, int kernelSize = 3, int stride = 1, int groups = 1, int radix = 2,
        double rdRatio = 0.25, int rdDivisor = 8, int dilation = 1)
    {
        int cout = outChannels ?? inChannels;
        if (radix < 1) throw new ArgumentException($"SplitAttention: radix must be at least 1, got {radix}.");
        if (groups < 1) throw new ArgumentException($"SplitAttention: groups (cardinality) must be at least 1, got {groups}.");
        if (inChannels < 1 || cout < 1) throw new ArgumentException($"SplitAttention: channels must be positive, got {inChannels} in and {cout} out.");
        if (kernelSize < 1) throw new ArgumentException($"SplitAttention: the kernel size must be positive, got {kernelSize}.");
        if (stride < 1 || dilation < 1) throw new ArgumentException($"SplitAttention: stride and dilation must be at least 1, got {stride} and {dilation}.");
        if (!(rdRatio > 0)) throw new ArgumentException($"SplitAttention: rd_ratio must be positive, got {rdRatio}.");
        int attn = Divisible.Make(inChannels * radix * rdRatio, rdDivisor, minValue: 32);
        if (inChannels % (groups * radix) != 0)
            throw new ArgumentException($"SplitAttention: {inChannels} input channels do not divide into groups * radix = {groups} * {radix} conv groups.");
        if (cout % groups != 0 || attn % groups != 0)
            throw new ArgumentException($"SplitAttention: {cout} output channels and the inner width {attn} must both divide by groups = {groups}.");
        InChannels = inChannels;
        OutChannels = cout;
        Radix = radix;
        Groups = groups;
        AttnChannels = attn;
        Conv = Register("conv", new Conv2d(inChannels, cout * radix, kernelSize, stride, dilation * (kernelSize / 2), dilation, groups * radix, bias: false));
        Bn0 = Register("bn0", new BatchNorm2d(cout * radix));
        Fc1 = Register("fc1", new Conv2d(cout, attn, 1, groups: groups));
        Bn1 = Register("bn1", new BatchNorm2d(attn));
        Fc2 = Register("fc2", new Conv2d(attn, cout * radix, 1, groups: groups));
    }

    public int InChannels { get; }
    public int OutChannels { get; }
    public int Radix { get; }
    public int Groups { get; }
    public int AttnChannels { get; }

    /// <summary>The grouped conv (K*R groups, no bias) and its BatchNorm, which give the R splits.</summary>
    public Conv2d Conv { get; }
    public BatchNorm2d Bn0 { get; }

    /// <summary>The gate MLP: fc1 (K groups), its BatchNorm, fc2 (R*C outputs, K groups).</summary>
    public Conv2d Fc1 { get; }
    public BatchNorm2d Bn1 { get; }
    public Conv2d Fc2 { get; }

    /// <summary>The gate MLP's tensors as the fused radix attention takes them.</summary>
    internal RadixGateParameters GateParameters => new(Fc1.Weight, Fc1.Bias, Bn1.Weight, Bn1.Bias, Bn1.RunningMean, Bn1.RunningVar, Fc2.Weight, Fc2.Bias);

    public bool CaptureAttention { get; set; }
    public Tensor? LastAttention => _captured.Value;

    internal static SplitAttention FromConfig(BlockConfig c) => new(
        c.Int("cin"), c.OptionalInt("cout"), c.Int("kernel_size", 3), c.Int("stride", 1), c.Int("groups", 1), c.Int("radix", 2),
        c.Double("rd_ratio", 0.25), c.Int("rd_divisor", 8));

    public override Tensor Forward(Tensor x)
    {
        if (x.Rank != 4 || x.Shape[1] != InChannels)
            throw new ArgumentException($"SplitAttention expects [N, {InChannels}, H, W], got {x.Shape}.");
        // The ReLU after bn0 is applied inside the fused attention, which never stores the activated map.
        var y = F.RadixAttention(Bn0.Forward(Conv.Forward(x)), GateParameters, Radix, Groups, Training, out var gate, Bn1.Momentum, Bn1.Eps);
        using (gate)
            if (CaptureAttention) _captured.Keep(gate);
        return y;
    }

    public override void Dispose()
    {
        _captured.Dispose();
        base.Dispose();
    }
}
