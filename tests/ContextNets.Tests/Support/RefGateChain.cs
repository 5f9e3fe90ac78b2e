using ContextNets.Tests.Reference;

namespace ContextNets.Tests.Support;

/// <summary>
/// The split-attention gate MLP composed from the reference ops, forward and backward by hand:
/// fc1 (grouped 1x1 conv), batch norm, ReLU, fc2, and the softmax over the splits of timm's
/// RadixSoftmax (a reshape to [N, K, R, C/K], softmax over R, a transpose to radix-major), or a sigmoid when R = 1.
/// </summary>
internal static class RefGateChain
{
    public sealed record Result(RefTensor Y, RefTensor?[] Grads, RefTensor RunningMean, RefTensor RunningVar);

    /// <param name="v">gap [N, C, 1, 1], fc1 weight, fc1 bias, norm weight, norm bias, fc2 weight, fc2 bias</param>
    /// <param name="gy">the gate's gradient; null for the forward alone</param>
    public static Result Run(RefTensor[] v, RefTensor runningMean, RefTensor runningVar, int radix, int groups, bool training, bool biases, RefTensor? gy)
    {
        int n = v[0].Shape[0], c = v[0].Shape[1];
        var (b1, b2) = biases ? (v[2], v[6]) : (null, null);
        var h1 = RefConv.Forward(v[0], v[1], b1, 1, 0, 1, groups);
        var h2 = RefBatchNorm.Forward(h1, v[3], v[4], runningMean, runningVar, training, 1e-5);
        var h3 = RefActivations.Relu(h2);
        var logits = RefConv.Forward(h3, v[5], b2, 1, 0, 1, groups);
        int[] grouped = [n, groups, radix, c / groups], order = [0, 2, 1, 3];
        RefTensor y, soft = logits;
        if (radix == 1) y = RefShape.Reshape(RefActivations.Sigmoid(logits), [n, 1, c]);
        else
        {
            soft = RefSoftmax.Forward(RefShape.Reshape(logits, grouped), 2, log: false);
            y = RefShape.Reshape(RefShape.Permute(soft, order), [n, radix, c]);
        }
        var (mean, variance) = training ? RefBatchNorm.UpdateRunning(h1, runningMean, runningVar, 0.1) : (runningMean, runningVar);
        if (gy is null) return new Result(y, [], mean, variance);

        var gLogits = radix == 1
            ? RefActivations.SigmoidBackward(logits, RefShape.Reshape(gy, logits.Shape))
            : RefShape.Reshape(RefSoftmax.Backward(soft, RefShape.PermuteBackward(RefShape.Reshape(gy, [n, radix, groups, c / groups]), order), 2, log: false), logits.Shape);
        var (gh3, gw2, gb2) = RefConv.Backward(h3, v[5], gLogits, 1, 0, 1, groups);
        var gh2 = RefActivations.ReluBackward(h2, gh3);
        var (gh1, gGamma, gBeta) = RefBatchNorm.Backward(h1, v[3], runningMean, runningVar, training, 1e-5, gh2);
        var (gGap, gw1, gb1) = RefConv.Backward(v[0], v[1], gh1, 1, 0, 1, groups);
        return new Result(y, [gGap, gw1, biases ? gb1 : null, gGamma, gBeta, gw2, biases ? gb2 : null], mean, variance);
    }
}
