using ContextNets.Backend;
using ContextNets.Backend.Dnnl;
using ContextNets.NN;

namespace ContextNets;

/// <summary>
/// The backend kernels that code above Ops/ calls directly, in one list. Only Ops/ and Backend/ touch oneDNN: a
/// block's fused op that works on raw buffers (the non-local block's strided GEMMs) and the inference compiler (the
/// folded convolutions) ask for their kernels here; everything else reaches the backend through the ops on tensors
/// (<see cref="F"/>).
/// </summary>
internal static class Kernels
{
    /// <summary>
    /// dst = src x weights (+ bias per output column), batched over the leading dims, on strided operands (a
    /// transpose is a swap of strides, see <see cref="MatOperand"/>).
    /// </summary>
    public static void Matmul(MatOperand src, MatOperand weights, MatOperand dst, nint bias = 0) => DnnlMatmul.Run(src, weights, dst, bias);

    /// <summary>A convolution with the BatchNorm after it folded in, and ReLU as a post-op, ready to run for inference.</summary>
    public static FoldedConv FoldConv(Conv2d conv, BatchNorm2d? bn, bool relu) => new(conv, bn, relu);
}
