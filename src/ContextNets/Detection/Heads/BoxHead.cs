using ContextNets.NN;

namespace ContextNets.Detection.Heads;

/// <summary>torchvision's TwoMLPHead: the pooled features flattened, then `fc6` and `fc7` (1024 wide), each with ReLU.</summary>
public sealed class TwoMlpHead : Module
{
    private readonly Linear _fc6;
    private readonly Linear _fc7;

    public TwoMlpHead(int inFeatures, int representation = 1024)
    {
        _fc6 = Register("fc6", new Linear(inFeatures, representation));
        _fc7 = Register("fc7", new Linear(representation, representation));
    }

    public override Tensor Forward(Tensor x) =>
        F.Relu(_fc7.Forward(F.Relu(_fc6.Forward(F.Reshape(x, x.Shape[0], _fc6.InFeatures)))));
}

/// <summary>torchvision's FastRCNNPredictor: class logits (`cls_score`) and per-class box codes (`bbox_pred`).</summary>
public sealed class FastRcnnPredictor : Module
{
    private readonly Linear _scores;
    private readonly Linear _boxes;

    public FastRcnnPredictor(int inFeatures, int numClasses)
    {
        if (numClasses < 2) throw new ArgumentException($"A detector needs the background and at least one class, got {numClasses} classes.");
        _scores = Register("cls_score", new Linear(inFeatures, numClasses));
        _boxes = Register("bbox_pred", new Linear(inFeatures, 4 * numClasses));
        NumClasses = numClasses;
    }

    /// <summary>Classes including the background (index 0).</summary>
    public int NumClasses { get; }

    public override Tensor Forward(Tensor x) => _scores.Forward(x);

    /// <summary>Class logits [K, classes] and box codes [K, 4 * classes].</summary>
    public (Tensor logits, Tensor codes) Predict(Tensor x) => (_scores.Forward(x), _boxes.Forward(x));
}
