using ContextNets.Autograd;
using ContextNets.Models.Outputs;
using ContextNets.NN;

namespace ContextNets.Models.Inference;

/// <summary>
/// A ResNet prepared for inference: a private eval-mode snapshot of the model's weights, with every BatchNorm that
/// follows a convolution folded into it and the ReLU (and, where the block allows, the residual sum) fused as oneDNN
/// post-ops. Later changes to the source model do not reach it; prepare again after training.
/// <see cref="Predict"/> may be called from several threads at once: a call keeps its tensors in its own scope, the
/// folded weights and primitives are only read, and the attention modules run in eval mode without capture.
/// </summary>
public sealed class InferenceModel : IPreparedModel
{
    private readonly ResNet _snapshot;
    private readonly IStep _stem;
    private readonly IStep[] _blocks;
    private readonly Linear _fc;

    public InferenceModel(ResNet model, InferenceOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        // The snapshot's every weight comes from the model (a strict load), so its random initialization is skipped:
        // drawing it would cost about a second for ResNet-50 and advance this thread's initialization generator.
        using (Initializers.SkipRandom()) _snapshot = new ResNet(model.Config);
        _snapshot.LoadStateDict(model.StateDict());
        _snapshot.Eval();
        var stem = _snapshot.StemConv is Sequential deep ? deep.NamedChildren().Select(c => c.module).Where(m => m is not Lambda).ToList() : [_snapshot.StemConv];
        stem.Add(_snapshot.StemNorm);
        var stemSteps = ResidualStep.Fold(stem, lastRelu: true);
        if (_snapshot.StemPool is { } pool) stemSteps.Add(new ModuleStep(pool));
        _stem = new ChainStep(stemSteps);
        Precision = options?.Precision ?? Precision.Fp32;
        if (options?.Int8Attention == true && Precision != Precision.Int8)
            throw new ArgumentException("Int8Attention quantizes the attention blocks of an int8 model; set Precision = Int8.");
        var attention = new List<AttentionInt8Step>();
        Func<Module, IStep, IStep>? wrap = options?.Int8Attention == true ? (block, step) => Added(attention, new AttentionInt8Step(block, step)) : null;
        _blocks = [.. _snapshot.Stages.SelectMany(s => s.NamedChildren()).Select(b => (IStep)new ResidualStep((ResidualBlock)b.module, wrap))];
        _fc = _snapshot.Classifier ?? throw new ArgumentException("Prepare: this ResNet is a headless body (0 classes), without a classifier to predict with.");
        Convs = [.. _stem.Convs, .. _blocks.SelectMany(b => b.Convs)];
        try
        {
            if (Precision == Precision.Bf16) foreach (var c in Convs) c.Lower(Precision.Bf16);
            else if (Precision == Precision.Int8)
            {
                Quantization = Quantizer.Apply(Predict, Convs, Config.InChannels, options!);
                AttentionErrors = AttentionInt8.Apply(Predict, attention, options!.Calibration, options.CalibrationBatchSize);
            }
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    public Precision Precision { get; }

    /// <summary>Int8: every folded conv's input scale, precision (f32 after a fallback) and measured SQNR; null otherwise.</summary>
    public QuantizationTable? Quantization { get; }

    /// <summary>
    /// With <see cref="InferenceOptions.Int8Attention"/>: each attention block's error in simulated int8 (empty when the
    /// model was quantized from saved scales, without calibration images); otherwise empty.
    /// </summary>
    public IReadOnlyList<BlockQuantization> AttentionErrors { get; } = [];

    private static IStep Added(List<AttentionInt8Step> all, AttentionInt8Step step)
    {
        all.Add(step);
        return step;
    }

    /// <summary>The folded convs in the order they run.</summary>
    internal IReadOnlyList<FoldedConv> Convs { get; }

    /// <summary>
    /// Saves the weights (f32, as the source model's state dict) with the int8 scales in the file's metadata: load
    /// them into a model of the same configuration and prepare it with <see cref="QuantizationTable.Read"/> to get
    /// this model back without calibrating.
    /// </summary>
    public void Save(string path)
    {
        if (Quantization is null) throw new InvalidOperationException("Only an int8 model has scales to save; save an f32 or bf16 model's weights with the model itself.");
        IO.SafetensorsFile.Write(path, _snapshot.StateDict(), new Dictionary<string, string> { ["format"] = "pt", [QuantizationTable.MetadataKey] = Quantization.ToJson() });
    }

    public ResNetConfig Config => _snapshot.Config;

    /// <summary>The private eval-mode copy the folded convs were made from (their <see cref="FoldedConv.Source"/>).</summary>
    internal ResNet Snapshot => _snapshot;

    /// <summary>
    /// Logits [N, NumClasses] of images [N, InChannels, H, W] (either layout). The caller owns the result: dispose it
    /// (`using var logits = ready.Predict(x);`), or let the scope that is open around the call free it. Every
    /// temporary is freed before Predict returns, so a service that disposes each result needs no scope at all.
    /// </summary>
    public Tensor Predict(Tensor images)
    {
        ArgumentNullException.ThrowIfNull(images);
        if (images.Rank != 4 || images.Shape[1] != Config.InChannels)
            throw new ArgumentException($"Predict expects images [N, {Config.InChannels}, H, W], got {images.Shape}.");
        using var scope = Tensor.Scope();
        using var noGrad = GradMode.NoGrad();
        var h = _stem.Run(images);
        foreach (var block in _blocks)
        {
            var next = block.Run(h);
            if (!ReferenceEquals(next, h)) h.Dispose();
            h = next;
        }
        int n = h.Shape[0], c = h.Shape[1];
        using var pooled = F.GlobalAvgPool2d(h);
        h.Dispose();
        using var flat = F.Reshape(pooled, n, c);
        return scope.Keep(_fc.Forward(flat));
    }

    /// <summary>The folded logits as the output `logits`, the same as <see cref="ResNet.Run"/>'s.</summary>
    public ModelOutputs Run(Tensor input) => ModelOutputs.Classifier(input, Predict);

    public void Dispose()
    {
        _stem.Dispose();
        foreach (var b in _blocks) b.Dispose();
        _snapshot.Dispose();
    }
}
