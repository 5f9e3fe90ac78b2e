using ContextNets.Autograd;
using ContextNets.Backend.Managed;

namespace ContextNets;

public static partial class F
{
    /// <summary>max(x, 0), in the layout of x.</summary>
    public static Tensor Relu(Tensor x) => Activation(x, "relu", ActivationKernels.Relu, ActivationKernels.ReluBackward);

    /// <summary>1 / (1 + exp(-x)), in the layout of x.</summary>
    public static Tensor Sigmoid(Tensor x) => Activation(x, "sigmoid", ActivationKernels.Sigmoid, ActivationKernels.SigmoidBackward);

    /// <summary>x where positive, else <paramref name="slope"/> * x (slope &gt; 0), in the layout of x.</summary>
    public static Tensor LeakyRelu(Tensor x, float slope = 0.01f)
    {
        if (!(slope > 0)) throw new ArgumentException($"LeakyRelu: the slope must be positive (its gradient reads the side from the output), got {slope}.");
        return Activation(x, "leaky_relu", (a, y) => ActivationKernels.LeakyRelu(a, y, slope), (y, g, gx) => ActivationKernels.LeakyReluBackward(y, g, gx, slope));
    }

    /// <summary>The square root, in the layout of x (NaN below 0, as in PyTorch); what ONNX files below opset 17 normalize with.</summary>
    public static Tensor Sqrt(Tensor x) => Activation(x, "sqrt", ActivationKernels.Sqrt, ActivationKernels.SqrtBackward);

    // The gradients are functions of the output alone, so the rule keeps y and not x.
    private static Tensor Activation(Tensor x, string name, Action<Tensor, Tensor> forward, Action<Tensor, Tensor, Tensor> backward)
    {
        var y = x.EmptyLike();
        forward(x, y);
        if (!Tape.ShouldRecord(x)) return y;
        return Tape.Record(y, name, [x], gy =>
        {
            using var g = InLayoutOf(gy, y);
            var gx = y.EmptyLike();
            backward(y, g, gx);
            return [gx];
        });
    }

    /// <summary>The values of <paramref name="t"/> laid out as <paramref name="like"/> (same shape): a view when they already are, else a copy.</summary>
    internal static Tensor InLayoutOf(Tensor t, Tensor like)
    {
        if (t.SameLayout(like)) return t.Alias();
        var copy = like.EmptyLike();
        CopyInto(t, copy);
        return copy;
    }
}
