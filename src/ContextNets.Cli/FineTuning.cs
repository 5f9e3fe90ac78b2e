using System.CommandLine;
using System.Globalization;
using ContextNets.Data.Transforms;
using ContextNets.Import;
using ContextNets.NN;

namespace ContextNets.Cli;

/// <summary>
/// The transfer-learning options of `ctxnet train`: start from a checkpoint of the zoo model or from an ONNX graph
/// (--init), check the new head's class count (--head), freeze part of the network (--freeze) or give the backbone
/// its own learning rate (--lr-backbone), and normalize as the pretrained network expects (--mean, --std).
/// </summary>
internal sealed record FineTuning(string? Init, bool IsOnnx, string? Features, bool FromScratch, int? Head, string? Freeze, double? LrBackbone,
    float[]? Mean, float[]? Std, int? InChannels, int? ImageSize)
{
    internal static readonly Option<string?> InitOpt = new("--init") { Description = "Start from these weights: a timm/torchvision checkpoint of --model (safetensors or .pth; a head of another class count is replaced), or an ONNX graph (FILE.onnx), which becomes the backbone of a new Linear head. With --task detect: the body's weights, from a classification run folder or a checkpoint of the body's zoo model." };
    private static readonly Option<int?> HeadOpt = new("--head") { Description = "The new head's classes: must be the data's (the default)." };
    private static readonly Option<string?> FreezeOpt = new("--freeze") { Description = $"'{Freezing.Stem}', N (the stem and the first N stages) or '{Freezing.Backbone}' (all but the head): their weights and BatchNorm statistics stay as loaded." };
    private static readonly Option<double?> LrBackboneOpt = new("--lr-backbone") { Description = "The peak learning rate of everything but the head (which trains at --lr)." };
    private static readonly Option<string?> FeaturesOpt = new("--features") { Description = "With an ONNX --init: the value the head reads, a node's output (default: the graph's first output); a feature map is averaged over its positions." };
    internal static readonly Option<bool> FromScratchOpt = new("--from-scratch") { Description = "With an ONNX --init: train the graph's network from new random weights (to compare with fine-tuning it). With --task detect: a body from new random weights instead of one pretrained on Fashion-MNIST." };
    private static readonly Option<string?> MeanOpt = new("--mean") { Description = "Normalization means of pixel/255, one or one per channel (e.g. 0.485,0.456,0.406), in place of the data's." };
    private static readonly Option<string?> StdOpt = new("--std") { Description = "Normalization standard deviations of pixel/255, one or one per channel, with --mean." };

    public static readonly Option[] Options = [InitOpt, HeadOpt, FreezeOpt, LrBackboneOpt, FeaturesOpt, FromScratchOpt, MeanOpt, StdOpt];

    /// <summary>The options as given, checked; for an init, what it says about the model's input (channels, size).</summary>
    public static FineTuning Read(ParseResult p, string model, bool explicitModel)
    {
        string? init = p.GetValue(InitOpt), features = p.GetValue(FeaturesOpt), freeze = p.GetValue(FreezeOpt);
        int? head = p.GetValue(HeadOpt);
        double? lrBackbone = p.GetValue(LrBackboneOpt);
        bool onnx = init is not null && OnnxFile.Is(init);
        if (init is null && (head is not null || freeze is not null || lrBackbone is not null || features is not null))
            throw new CliException("--head, --freeze, --lr-backbone and --features fine-tune a model started from weights: give them with --init FILE.");
        if (init is not null && !File.Exists(init)) throw new CliException($"The --init file {init} does not exist.");
        if (onnx && explicitModel) throw new CliException($"--init {init} is an ONNX graph, which is the model: leave out --model.");
        if (features is not null && !onnx) throw new CliException($"--features names a value of an ONNX graph; {init} is a weights file for {model}.");
        bool scratch = p.GetValue(FromScratchOpt);
        if (scratch && !onnx) throw new CliException("--from-scratch takes the network of an ONNX --init without its weights; a zoo model trains from scratch without --init.");
        if (scratch && (freeze is not null || lrBackbone is not null)) throw new CliException("--from-scratch trains new weights: --freeze and --lr-backbone would hold back random ones.");
        if (head is < 1) throw new CliException($"--head is a number of classes, at least 1, not {head}.");
        if (lrBackbone is { } x && !(x > 0 && double.IsFinite(x))) throw new CliException($"--lr-backbone must be a positive number, not {x}.");
        float[]? mean = Floats(p.GetValue(MeanOpt), "--mean"), std = Floats(p.GetValue(StdOpt), "--std");
        if ((mean is null) != (std is null)) throw new CliException("--mean and --std go together.");
        int? channels = null, size = null;
        if (onnx)
        {
            using var graph = OnnxFile.Load(init!, features);
            var dims = graph.InputDims[0];
            channels = dims.Count == 4 && dims[1] > 0 ? dims[1] : 3;
            size = dims.Count == 4 && dims[2] > 0 && dims[2] == dims[3] ? dims[2] : null;
        }
        else if (init is not null)
        {
            ModelCatalog.Require(model);
            channels = TransferInit.InChannels(model, init);
        }
        return new FineTuning(init, onnx, features, scratch, head, freeze, lrBackbone, mean, std, channels, size);
    }

    /// <summary>The data normalized with --mean and --std when given.</summary>
    public RunData Normalized(RunData data)
    {
        if (Mean is null || Std is null) return data;
        try
        {
            return data.WithNormalize(new Normalize(PerChannel(Mean, data.Channels, "--mean"), PerChannel(Std, data.Channels, "--std")));
        }
        catch (ArgumentException e) { throw new CliException($"--std: {e.Message}"); }
    }

    /// <summary>The run's config with the fine-tuning recorded (so resume, eval and predict rebuild the same network).</summary>
    public RunConfig Apply(RunConfig c)
    {
        if (Init is null) return c;
        if (Head is { } h && h != c.Classes.Length)
            throw new CliException($"--head {h} does not match the data, which has {c.Classes.Length} classes: the head's outputs are the data's classes.");
        c = c with { Model = IsOnnx ? RunNetwork.Onnx : c.Model, Init = Path.GetFullPath(Init), Features = Features, FromScratch = FromScratch, Freeze = Freeze };
        return LrBackbone is { } lr ? c with { Trainer = c.Trainer with { BackboneLrScale = lr / c.Trainer.Lr, Head = RunNetwork.HeadOf(c) } } : c;
    }

    /// <summary>A new run's zoo model gets the checkpoint's weights; an ONNX run's graph has brought its own, unless they are to be drawn anew.</summary>
    public static void LoadInit(Module model, RunConfig c)
    {
        if (c.Init is not { } init) return;
        if (!RunNetwork.IsOnnx(c)) TransferInit.Load(model, c.Model, c.Classes.Length, c.InChannels, init);
        else if (c.FromScratch) OnnxScratch.Reinitialize(((OnnxClassifier)model).Backbone, unchecked((int)c.Seed));
    }

    /// <summary>The header line of a fine-tuning run, with its line break; empty for other runs.</summary>
    public static string Describe(RunConfig c, Module model)
    {
        if (c.Init is null) return "";
        string from = RunNetwork.IsOnnx(c) ? $" (a new head on {c.Features ?? "its first output"}{(c.FromScratch ? "; the graph's weights drawn anew, --from-scratch" : "")})" : "";
        string frozen = c.Freeze is { } f ? Freezing.Describe(model, f, RunNetwork.HeadOf(c)) : "nothing";
        string lr = c.Trainer.BackboneLrScale is { } s ? string.Create(CultureInfo.InvariantCulture, $"; backbone lr {s * c.Trainer.Lr}") : "";
        return $"Init: {c.Init}{from}; frozen: {frozen}{lr}\n";
    }

    private static float[]? Floats(string? text, string option)
    {
        if (text is null) return null;
        var parts = text.Split(',', StringSplitOptions.TrimEntries);
        var values = new float[parts.Length];
        for (int i = 0; i < parts.Length; i++)
            if (!float.TryParse(parts[i], NumberStyles.Float, CultureInfo.InvariantCulture, out values[i]) || !float.IsFinite(values[i]))
                throw new CliException($"{option} is a comma-separated list of numbers, not '{text}'.");
        return values;
    }

    private static float[] PerChannel(float[] values, int channels, string option) =>
        values.Length == 1 ? [.. Enumerable.Repeat(values[0], channels)]
        : values.Length == channels ? values
        : throw new CliException($"{option} has {values.Length} values for {channels} channels: give one, or one per channel.");
}
