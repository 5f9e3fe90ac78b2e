namespace ContextNets.NN;

/// <summary>
/// DropBlock as a layer (timm's DropBlock2d): active only in training. The
/// drop probability is settable, since ResNeSt-style recipes ramp it up over
/// training; no parameters, nothing in the state dict.
/// </summary>
public sealed class DropBlock2d : Module
{
    public DropBlock2d(float dropProb = 0.1f, int blockSize = 7, float gammaScale = 1f)
    {
        DropProb = dropProb;
        BlockSize = blockSize;
        GammaScale = gammaScale;
    }

    public float DropProb { get; set; }
    public int BlockSize { get; }
    public float GammaScale { get; }

    public override Tensor Forward(Tensor x) => F.DropBlock(x, DropProb, Training, BlockSize, GammaScale);
}
