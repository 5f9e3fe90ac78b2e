using ContextNets.NN;

namespace ContextNets.Attention;

/// <summary>
/// Selective Kernel convolution as timm's SelectiveKernel (skresnet18/34): parallel
/// conv+BN+ReLU paths with different receptive fields (by default a 3x3 and a 3x3 with
/// dilation 2 standing in for a 5x5), each fed its share of the input channels, then a
/// softmax over the paths per channel from the pooled sum of the paths:
/// out = sum over p of a_p * U_p. Parameters: `paths.P.conv`, `paths.P.bn`,
/// `attn.fc_reduce`, `attn.bn`, `attn.fc_select`. The captured attention is a [N, paths, C].
/// </summary>
public sealed partial class SelectiveKernel : Module, IAttentionSource
{
    // timm keeps the paths in a ModuleList; a Sequential names its children the same way and is only indexed here.
    private readonly Sequential _paths;
    private readonly List<ConvBn> _pathLayers = [];
    private readonly CapturedGate _captured = new();

    /// <param name="inChannels">input channels</param>
    /// <param name="outChannels">output channels C (default: inChannels)</param>
    /// <param name="kernelSizes">one kernel per path (default 3 and 5); each odd and at least 3</param>
    /// <param name="stride">stride of every path</param>
    /// <param name="dilation">dilation of the block as a whole</param>
    /// <param name="groups">groups of every path's conv (capped at C)</param>
    /// <param name="rdRatio">attention width = make_divisible(C * rdRatio, rdDivisor) unless rdChannels is given</param>
    /// <param name="rdChannels">attention width, overriding rdRatio</param>
    /// <param name="rdDivisor">the multiple the attention width is rounded to</param>
    /// <param name="keep3x3">run every path as a 3x3 conv, a kernel k becoming dilation (k - 1) / 2</param>
    /// <param name="splitInput">feed each path its own 1/paths of the input channels instead of all of them</param>
    public SelectiveKernel(int inChannels, int? outChannels = null, int[]? kernelSizes = null, int stride = 1, int dilation = 1, int groups = 1,
        double rdRatio = 1.0 / 16, int? rdChannels = null, int rdDivisor = 8, bool keep3x3 = true, bool splitInput = true)
    {
        int cout = outChannels ?? inChannels;
        var kernels = kernelSizes ?? [3, 5];
        if (kernels.Length == 1) kernels = [kernels[0], kernels[0]];
        if (inChannels < 1 || cout < 1) throw new ArgumentException($"SelectiveKernel: channels must be positive, got {inChannels} in and {cout} out.");
        if (kernels.Length == 0 || kernels.Any(k => k < 3 || k % 2 == 0))
            throw new ArgumentException($"SelectiveKernel: kernel sizes (one per path, at least one) must be odd and at least 3, got {Shape.Format(kernels)}.");
        if (stride < 1 || dilation < 1 || groups < 1)
            throw new ArgumentException($"SelectiveKernel: stride {stride}, dilation {dilation} and groups {groups} must be at least 1.");
        int paths = kernels.Length;
        if (splitInput && inChannels % paths != 0)
            throw new ArgumentException($"SelectiveKernel: split input needs the {inChannels} input channels to divide by the {paths} paths.");
        int pathIn = splitInput ? inChannels / paths : inChannels;
        groups = Math.Min(cout, groups);
        if (pathIn % groups != 0 || cout % groups != 0)
            throw new ArgumentException($"SelectiveKernel: each path's {pathIn} input and {cout} output channels must divide by groups = {groups}.");
        int attn = rdChannels ?? Divisible.Make(cout * rdRatio, rdDivisor);
        if (attn < 1) throw new ArgumentException($"SelectiveKernel: the attention width must be positive, got {attn}.");

        InChannels = inChannels;
        OutChannels = cout;
        SplitInput = splitInput;
        _paths = Register("paths", new Sequential());
        foreach (int k in kernels)
        {
            var (size, dil) = keep3x3 ? (3, dilation * (k - 1) / 2) : (k, dilation);
            // timm's symmetric padding for the kernel, stride and dilation.
            int padding = (stride - 1 + dil * (size - 1)) / 2;
            var path = new ConvBn(pathIn, cout, size, stride, padding, dil, groups);
            _paths.Add(path);
            _pathLayers.Add(path);
        }
        Attn = Register("attn", new SelectiveKernelAttn(cout, paths, attn));
    }

    public int InChannels { get; }
    public int OutChannels { get; }
    public int Paths => _paths.Count;
    public bool SplitInput { get; }

    /// <summary>The paths' conv and BatchNorm (`paths.P`), in order.</summary>
    public IReadOnlyList<ConvBn> PathLayers => _pathLayers;

    /// <summary>The gate (`attn`) that weighs the paths.</summary>
    public SelectiveKernelAttn Attn { get; }

    public bool CaptureAttention { get; set; }
    public Tensor? LastAttention => _captured.Value;

    internal static SelectiveKernel FromConfig(BlockConfig c) => new(
        c.Int("in_channels"), c.OptionalInt("out_channels"), c.IntList("kernel_size", [3, 5]), c.Int("stride", 1), c.Int("dilation", 1),
        c.Int("groups", 1), c.Double("rd_ratio", 1.0 / 16), c.OptionalInt("rd_channels"), c.Int("rd_divisor", 8),
        c.Bool("keep_3x3", true), c.Bool("split_input", true));

    public override Tensor Forward(Tensor x)
    {
        if (x.Rank != 4 || x.Shape[1] != InChannels)
            throw new ArgumentException($"SelectiveKernel expects [N, {InChannels}, H, W], got {x.Shape}.");
        var inputs = SplitInput ? F.Split(x, Enumerable.Repeat(InChannels / Paths, Paths).ToArray(), 1) : Enumerable.Repeat(x, Paths).ToArray();
        var outputs = new Tensor[Paths];
        for (int p = 0; p < Paths; p++) outputs[p] = _paths[p].Forward(inputs[p]);
        // Path-major channels: the same radix-major map that split attention reduces.
        var y = Attn.Apply(F.Cat(outputs, 1), out var gate);
        using (gate)
            if (CaptureAttention) _captured.Keep(gate);
        return y;
    }

    public override void Dispose()
    {
        _captured.Dispose();
        base.Dispose();
    }

    /// <summary>timm's ConvNormAct: `conv` (no bias) and `bn`. Its ReLU is applied by the fused attention, which reads every path at once.</summary>
    public sealed class ConvBn : Module
    {
        internal ConvBn(int cin, int cout, int kernel, int stride, int padding, int dilation, int groups)
        {
            Conv = Register("conv", new Conv2d(cin, cout, kernel, stride, padding, dilation, groups, bias: false));
            Bn = Register("bn", new BatchNorm2d(cout));
        }

        public Conv2d Conv { get; }
        public BatchNorm2d Bn { get; }

        public override Tensor Forward(Tensor x) => Bn.Forward(Conv.Forward(x));
    }

    /// <summary>timm's SelectiveKernelAttn (gate MLP without biases, softmax over the paths), run fused with the paths' ReLU and their weighted sum.</summary>
    public sealed class SelectiveKernelAttn : Module
    {
        private readonly int _paths;

        internal SelectiveKernelAttn(int channels, int paths, int attnChannels)
        {
            _paths = paths;
            FcReduce = Register("fc_reduce", new Conv2d(channels, attnChannels, 1, bias: false));
            Bn = Register("bn", new BatchNorm2d(attnChannels));
            FcSelect = Register("fc_select", new Conv2d(attnChannels, channels * paths, 1, bias: false));
        }

        public Conv2d FcReduce { get; }
        public BatchNorm2d Bn { get; }
        public Conv2d FcSelect { get; }

        /// <summary>The gate MLP's tensors as the fused radix attention takes them.</summary>
        internal RadixGateParameters GateParameters => new(FcReduce.Weight, null, Bn.Weight, Bn.Bias, Bn.RunningMean, Bn.RunningVar, FcSelect.Weight, null);

        /// <summary>The paths' pre-activations [N, P*C, H, W], path-major, weighed into [N, C, H, W]; <paramref name="gate"/> is a [N, P, C].</summary>
        public Tensor Apply(Tensor paths, out Tensor gate) =>
            F.RadixAttention(paths, GateParameters, _paths, groups: 1, Training, out gate, Bn.Momentum, Bn.Eps);

        public override Tensor Forward(Tensor x)
        {
            var y = Apply(x, out var gate);
            gate.Dispose();
            return y;
        }
    }
}
