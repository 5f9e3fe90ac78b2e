using System.Numerics.Tensors;

namespace ContextNets.Training;

/// <summary>torch.nn.utils.clip_grad_norm_ with the 2-norm.</summary>
public static class GradClip
{
    /// <summary>
    /// Scales every gradient by maxNorm / (norm + 1e-6) when that is below 1, where norm is the 2-norm of all
    /// gradients together, and returns the norm before clipping. A non-finite norm is returned without scaling
    /// anything (scaling by NaN would destroy the gradients a caller may want to inspect); the caller decides.
    /// </summary>
    public static double ClipGlobalNorm(Optimizer optimizer, double maxNorm)
    {
        if (!(maxNorm > 0)) throw new ArgumentException($"The maximum gradient norm must be > 0, not {maxNorm}.");
        double sumSquares = 0;
        for (int i = 0; i < optimizer.ParameterCount; i++)
            if (optimizer.ParameterAt(i).Grad is { } g)
            {
                double n = TensorPrimitives.Norm<float>(g.Span);
                sumSquares += n * n;
            }
        double norm = Math.Sqrt(sumSquares);
        double coef = maxNorm / (norm + 1e-6);
        if (!double.IsFinite(norm) || coef >= 1) return norm;
        for (int i = 0; i < optimizer.ParameterCount; i++)
            if (optimizer.ParameterAt(i).Grad is { } g)
            {
                TensorPrimitives.Multiply(g.Span, (float)coef, g.Span);
                g.Touch();
            }
        return norm;
    }
}
