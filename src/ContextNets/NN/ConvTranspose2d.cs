namespace ContextNets.NN;

/// <summary>
/// torch.nn.ConvTranspose2d with kernel = stride and no padding (Mask R-CNN's conv5_mask: 2x2, stride 2): `weight`
/// [in, out, k, k] and `bias` [out]. Windows then never overlap, so every input pixel writes its own k x k block,
/// out[n, o, k i + a, k j + b] = bias[o] + sum_c x[n, c, i, j] weight[c, o, a, b]: one matrix product and a reorder,
/// with the gradient through the existing ops.
/// </summary>
public sealed class ConvTranspose2d : Module
{
    public ConvTranspose2d(int inChannels, int outChannels, int kernelSize)
    {
        if (inChannels < 1 || outChannels < 1 || kernelSize < 1)
            throw new ArgumentException($"ConvTranspose2d({inChannels}, {outChannels}, kernel {kernelSize}): sizes must be positive.");
        InChannels = inChannels;
        OutChannels = outChannels;
        KernelSize = kernelSize;
        // PyTorch's default: fan-in from weight dim 1, which for a transposed conv is the output channels.
        int fanIn = outChannels * kernelSize * kernelSize;
        Weight = RegisterParameter("weight", Init([inChannels, outChannels, kernelSize, kernelSize], Initializers.FanIn(fanIn)));
        Bias = RegisterParameter("bias", Init([outChannels], Initializers.FanIn(fanIn)));
    }

    public int InChannels { get; }
    public int OutChannels { get; }
    public int KernelSize { get; }
    public Tensor Weight { get; }
    public Tensor Bias { get; }

    public override Tensor Forward(Tensor x)
    {
        if (x.Rank != 4 || x.Shape[1] != InChannels)
            throw new ArgumentException($"ConvTranspose2d expects [N, {InChannels}, H, W], got {x.Shape}.");
        int n = x.Shape[0], h = x.Shape[2], w = x.Shape[3], k = KernelSize, o = OutChannels;
        var rows = F.Reshape(F.Permute(x, 0, 2, 3, 1), n * h * w, InChannels);
        var blocks = F.MatMul(rows, F.Reshape(Weight, InChannels, o * k * k));
        var image = F.Reshape(F.Permute(F.Reshape(blocks, n, h, w, o, k, k), 0, 3, 1, 4, 2, 5), n, o, h * k, w * k);
        return F.Add(image, F.Reshape(Bias, 1, o, 1, 1));
    }
}
