using ContextNets.Autograd;
using ContextNets.NN;

namespace ContextNets.Import;

/// <summary>
/// An imported graph as the backbone of a new classifier, for fine-tuning: the graph's output, averaged over its
/// spatial dims when it has them (a pre-pool feature map; a 1x1 pooled one is unchanged by it), flattened, then a new
/// Linear `head`. The graph's tensors live under `backbone.`, so a checkpoint holds both.
/// </summary>
public sealed class OnnxClassifier : Module
{
    public const string BackboneName = "backbone", HeadName = "head";

    private readonly OnnxModel _backbone;
    private readonly Linear _head;

    /// <summary>
    /// Takes ownership of <paramref name="backbone"/> and puts a head of <paramref name="classes"/> outputs on it,
    /// its width found by running one zero image of <paramref name="channels"/> x <paramref name="size"/> x
    /// <paramref name="size"/> (which also shows at once that the graph takes that size). The head is drawn from
    /// <paramref name="seed"/>.
    /// </summary>
    public OnnxClassifier(OnnxModel backbone, int classes, int channels, int size, int seed)
    {
        _backbone = Register(BackboneName, backbone);
        int features = FeatureCount(backbone, channels, size);
        using (Initializers.Seeded(seed)) _head = Register(HeadName, new Linear(features, classes));
    }

    public OnnxModel Backbone => _backbone;
    public Linear Head => _head;

    public override Tensor Forward(Tensor x) => _head.Forward(Features(_backbone.Forward(x)));

    private static Tensor Features(Tensor y) => y.Rank == 4 ? F.Reshape(F.Mean(y, [2, 3]), y.Shape[0], -1) : F.Reshape(y, y.Shape[0], -1);

    private static int FeatureCount(OnnxModel backbone, int channels, int size)
    {
        bool training = backbone.Training;
        backbone.Eval();
        try
        {
            using var scope = Tensor.Scope();
            using var noGrad = GradMode.NoGrad();
            var y = Features(backbone.Forward(Tensor.Zeros([1, channels, size, size])));
            return y.Shape[1];
        }
        finally
        {
            backbone.Train(training);
        }
    }
}
