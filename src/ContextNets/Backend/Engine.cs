using ContextNets.Backend.Dnnl;

namespace ContextNets;

/// <summary>Engine-wide settings and facts: the activation layout, the native library, the threads.</summary>
public static class Engine
{
    /// <summary>
    /// The memory order of 4-D activations that convolutions, pooling and
    /// normalization produce. Channels-last was chosen by measurement
    /// (docs/engine.md); the logical order the API speaks is NCHW either way.
    /// </summary>
    public static MemoryFormat ActivationFormat { get; set; } = MemoryFormat.ChannelsLast;

    /// <summary>
    /// The memory order of 5-D clip activations [N, C, D, H, W] that 3-D convolutions, pooling and normalization
    /// produce: ChannelsLast is N,D,H,W,C. Chosen by measurement, separately from the 2-D one (docs/video.md).
    /// </summary>
    public static MemoryFormat ClipFormat { get; set; } = MemoryFormat.ChannelsLast;

    /// <summary>
    /// Run 3x3 stride-1 ungrouped convolutions (forward and both backwards) on oneDNN's Winograd kernels, 2 to 2.7
    /// times faster than the direct ones on ResNet shapes; their results differ by rounding. Off: direct kernels only.
    /// </summary>
    public static bool Winograd { get; set; } = true;

    /// <summary>
    /// Run the eager (training and evaluation) 2-D convolutions with bf16 operands: inputs, weights and output
    /// gradients are rounded to bf16 on their way into oneDNN, which accumulates in f32 and writes f32 outputs and
    /// gradients, so master weights, BatchNorm, softmax and the loss stay f32 (`ctxnet train --precision bf16`).
    /// Prepared inference models have their own precision (<see cref="Models.Inference.InferenceOptions"/>).
    /// </summary>
    public static bool Bf16Convolutions { get; set; }

    /// <summary>
    /// With <see cref="Bf16Convolutions"/>: true (the default) computes the weight gradients in bf16 too; false computes
    /// them in f32 (Winograd where it applies, on the unrounded activations and output gradients) while the forward and
    /// backward-data convs stay bf16. Measured on an idle machine, bf16 weight gradients make the step faster
    /// (docs/precision.md, "bf16 training"); an earlier measurement on a loaded machine had said the opposite.
    /// </summary>
    public static bool Bf16WeightGradients { get; set; } = true;

    public static string OneDnnVersion => DnnlRuntime.Version;
    public static string OneDnnIsa => DnnlRuntime.Isa;

    /// <summary>
    /// The threads oneDNN and the managed kernels run on: CTXNET_THREADS, else OMP_NUM_THREADS, else one per core,
    /// until set. Setting it works at any time, also after the first kernel: each thread takes the new count up at
    /// its next oneDNN call (kernels already running finish on the old one). Primitives are made again for a new
    /// count, once.
    /// </summary>
    public static int Threads
    {
        get
        {
            _ = DnnlRuntime.Engine;
            return ThreadSettings.Count;
        }
        set => ThreadSettings.Set(value);
    }

    /// <summary>Loads oneDNN now, so that a missing library fails early with its package name.</summary>
    public static void EnsureNative() => _ = DnnlRuntime.Engine;
}
