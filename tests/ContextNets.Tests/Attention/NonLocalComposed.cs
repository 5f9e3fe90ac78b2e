using ContextNets.Attention;

namespace ContextNets.Tests.Attention;

/// <summary>
/// A non-local block up to its norm and residual from engine ops alone: the
/// map x [N, C, T*H, W] to o = W_z y + b with y_i = sum_j f(x_i, x_j) g(x_j),
/// and the pairwise map f [N, Np, Np'] as used. Work is positions-major
/// ([N, Np, channels]), where a 1x1 conv is a linear layer. The oracle for
/// the fused op (NonLocalAttention), with every gradient from the engine ops.
/// </summary>
internal static class NonLocalComposed
{
    public static (Tensor y, Tensor attention) Forward(Tensor xm, NonLocalGeometry geo, NonLocalParams p)
    {
        var x = PositionsMajor(xm, geo);
        var theta = p.Mode == Pairwise.Gaussian ? x : Project(x, p.ThetaWeight!, p.ThetaBias!);
        var phi = Pool(p.Mode == Pairwise.Gaussian ? x : Project(x, p.PhiWeight!, p.PhiBias!), geo);
        var g = Pool(Project(x, p.GWeight, p.GBias), geo);
        var f = p.Mode == Pairwise.Concatenation ? Concatenation(theta, phi, p) : DotPairs(theta, phi, p, geo);
        var y = F.MatMul(f, g);
        var map = F.Permute(F.Reshape(y, geo.N, geo.T * geo.H, geo.W, p.Inner), 0, 3, 1, 2);
        return (F.Conv2d(map, p.OutWeight, p.OutBias), f);
    }

    private static Tensor DotPairs(Tensor theta, Tensor phi, NonLocalParams p, NonLocalGeometry geo)
    {
        var logits = F.MatMul(theta, F.Transpose(phi, 1, 2));
        return p.Mode switch
        {
            Pairwise.DotProduct => F.Mul(logits, Tensor.Scalar(1f / geo.PooledPositions)),
            _ when p.LogitScale != 1f => F.Softmax(F.Mul(logits, Tensor.Scalar(p.LogitScale)), -1),
            _ => F.Softmax(logits, -1),
        };
    }

    // relu(w_theta . theta_i + w_phi . phi_j) / Np': the projection of the concatenation splits into one term per side.
    private static Tensor Concatenation(Tensor theta, Tensor phi, NonLocalParams p)
    {
        var w = F.Reshape(p.ConcatWeight!, 2, p.Inner);
        var wTheta = F.Transpose(F.Slice(w, 0, 0, 1), 0, 1);
        var wPhi = F.Transpose(F.Slice(w, 0, 1, 1), 0, 1);
        var a = F.MatMul(theta, wTheta);
        var b = F.Transpose(F.MatMul(phi, wPhi), 1, 2);
        int pooled = phi.Shape[1];
        return F.Mul(F.Relu(F.Add(a, b)), Tensor.Scalar(1f / pooled));
    }

    /// <summary>[N, C, S1, S2] -> [N, S1*S2, C].</summary>
    private static Tensor PositionsMajor(Tensor xm, NonLocalGeometry geo) =>
        F.Reshape(F.Permute(xm, 0, 2, 3, 1), geo.N, geo.Positions, geo.C);

    private static Tensor Project(Tensor x, Tensor weight, Tensor bias) =>
        F.Linear(x, F.Reshape(weight, weight.Shape[0], weight.Shape[1]), bias);

    /// <summary>[N, Np, c] -> [N, Np', c], max over each frame's (Kh, Kw) windows.</summary>
    private static Tensor Pool(Tensor t, NonLocalGeometry geo)
    {
        if (geo.Kh == 1 && geo.Kw == 1) return t;
        int c = t.Shape[2];
        var frames = F.Permute(F.Reshape(t, geo.N * geo.T, geo.H, geo.W, c), 0, 3, 1, 2);
        var pooled = F.MaxPool2d(frames, (geo.Kh, geo.Kw));
        return F.Reshape(F.Permute(pooled, 0, 2, 3, 1), geo.N, geo.PooledPositions, c);
    }
}
