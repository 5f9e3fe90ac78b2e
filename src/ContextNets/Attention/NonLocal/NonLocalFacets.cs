using ContextNets.Export;
using ContextNets.Models;
using ContextNets.Models.Inference;

namespace ContextNets.Attention;

/// <summary>What the profiler, the ONNX exporter, analysis and the inference compiler ask of a non-local block (<see cref="IBlockFacets"/>).</summary>
public sealed partial class NonLocal : IBlockFacets, IPairwiseFeatures
{
    string IBlockFacets.BlockName => "nl";

    AttentionKind IBlockFacets.Captures => AttentionKind.Pairwise;

    (Shape output, OpCount ops) IBlockFacets.Cost(Shape input, IChildCosts children)
    {
        // A clip [N, C, T, H, W] is the map [N, C, T*H, W] whose sub-sampling pools (1, 2, 2) inside each frame.
        long frames = input.Rank == 5 ? input[2] : 1, h = input[input.Rank - 2], w = input[input.Rank - 1];
        long c = input[1], p = frames * h * w, inner = Inner;
        long pooled = SubSample ? frames * (h / 2) * (w / 2) : p;
        bool gaussian = Mode == Pairwise.Gaussian;
        long k = gaussian ? c : inner;
        long projections = gaussian ? 1 : 3;
        long macs = projections * c * inner * p;
        long other = projections * inner * p;
        // Sub-sampling max-pools phi (x itself in gaussian mode) and g over 2x2 windows.
        if (SubSample) other += 4 * (k + inner) * pooled;
        if (Mode == Pairwise.Concatenation)
        {
            // w . [theta_i, phi_j] = w_theta . theta_i + w_phi . phi_j: one product per query and per key, a sum per pair, then / Np'.
            macs += k * (p + pooled);
            other += 2 * p * pooled;
        }
        else
        {
            macs += p * pooled * k;
            other += Mode == Pairwise.DotProduct ? p * pooled : 3 * p * pooled + (UseScale ? p * pooled : 0);
        }
        macs += p * pooled * inner + inner * c * p;
        other += (ConvOut.Bias is null ? 0 : c * p) + (Norm is null ? 0 : 2 * c * p) + c * p;
        return (input, new OpCount(input[0] * macs, input[0] * other));
    }

    OnnxValue IBlockFacets.EmitOnnx(OnnxGraph graph, string path, OnnxValue x) => NonLocalOnnx.Emit(graph, this, path, x);

    // Nothing to fold: the fused op runs as in training, its norm in eval mode.
    IStep IBlockFacets.FoldForInference() => new ModuleStep(this);
}
