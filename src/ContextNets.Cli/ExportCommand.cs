using System.CommandLine;
using System.Globalization;
using ContextNets.Export;
using ContextNets.Models;
using ContextNets.Models.Video;
using ContextNets.NN;
using ContextNets.Training;

namespace ContextNets.Cli;

/// <summary>`ctxnet export RUN|MODEL --onnx out.onnx`: the inference form of a trained run or a zoo model as an ONNX file.</summary>
internal static class ExportCommand
{
    public static Command Create()
    {
        var source = new Argument<string>("RUN|MODEL") { Description = "A run folder made by ctxnet train, or a zoo model name (exported with its random initialization)." };
        var onnx = new Option<string>("--onnx") { Description = "The ONNX file to write (atomically).", Required = true };
        var opset = new Option<int>("--opset") { Description = "The ai.onnx opset, 13 to 17 (LayerNormalization is an op from 17; below, its decomposition).", DefaultValueFactory = _ => OnnxExportOptions.DefaultOpset };
        var dynamicBatch = new Option<bool>("--dynamic-batch") { Description = "Make the batch dimension symbolic, so that the model runs at any batch size." };
        var imageSize = new Option<int?>("--image-size") { Description = "The side of the square input the graph is made for (default: the run's image size, or the model's)." };
        var checkpoint = new Option<string>("--checkpoint") { Description = "For a run: best or last.", DefaultValueFactory = _ => Trainer.Best };
        var weights = new Option<string?>("--weights") { Description = "For a zoo model: a state dict to load first (safetensors or torch.save .pth, in timm's, mmcv's or the official ResNeSt's names; strict)." };
        var map = new Option<bool>("--map") { Description = "With --weights: print every key of the file with the model key it went to." };
        var precision = PrecisionChoice.Option();
        var frames = VideoExport.FramesOption();
        var command = new Command("export", "Export a run or a zoo model to ONNX (inference form, BatchNorm folded into the convolutions).")
        {
            source, onnx, opset, dynamicBatch, imageSize, checkpoint, weights, map, precision, Int8Choice.MethodOption, frames, DetectExport.InputSizeOption,
        };
        command.SetAction(p =>
        {
            string what = p.GetValue(source)!, path = p.GetValue(onnx)!;
            OutputFile.Require(path, "--onnx", "model.onnx");
            var chosen = PrecisionChoice.Parse(p.GetValue(precision)!);
            var int8 = Int8Choice.Read(p, chosen, attentionOption: false);
            string? weightsPath = p.GetValue(weights);
            if (weightsPath is not null && Directory.Exists(what))
                throw new CliException($"--weights is for a zoo model; {what} is a run folder, which has its own checkpoints.");
            bool video = VideoExport.Takes(what, chosen, p.GetValue(frames));
            if (DetectExport.Owns(what)) return DetectExport.Export(p, what, path, weightsPath, p.GetValue(opset), p.GetValue(imageSize), p.GetValue(dynamicBatch), chosen);
            DetectExport.RefuseInputSize(p, what);
            var loaded = SegmentExport.Owns(what) ? SegmentExport.Load(what, p.GetValue(checkpoint)!, weightsPath, chosen)
                : !Directory.Exists(what) ? FromZoo(what, weightsPath, p.GetValue(map))
                : video ? VideoExport.FromRun(what, p.GetValue(checkpoint)!) : FromRun(what, p.GetValue(checkpoint)!);
            using (loaded.Model)
            {
                int size = p.GetValue(imageSize) ?? loaded.ImageSize;
                if (size < 1) throw new CliException($"--image-size must be positive, not {size}.");
                int? clipFrames = video ? VideoExport.Frames(p.GetValue(frames), loaded) : null;
                var metadata = new Dictionary<string, string>(loaded.Metadata) { ["image_size"] = size.ToString(CultureInfo.InvariantCulture), ["precision"] = PrecisionChoice.Name(chosen) };
                if (clipFrames is { } t) metadata["frames"] = t.ToString(CultureInfo.InvariantCulture);
                var options = new OnnxExportOptions
                {
                    Opset = p.GetValue(opset),
                    DynamicBatch = p.GetValue(dynamicBatch),
                    InputShape = clipFrames is { } clip ? new Shape(1, loaded.InChannels, clip, size, size) : new Shape(1, loaded.InChannels, size, size),
                    Metadata = metadata,
                };
                OnnxExportSummary summary;
                try
                {
                    summary = chosen == Precision.Fp32 ? loaded.Model.ExportOnnx(path, options) : PreparedExport.Write(loaded.Model, chosen, int8, path, options, loaded.Calibration);
                }
                catch (Exception e) when (e is ArgumentException or NotSupportedException)
                {
                    throw new CliException(e.Message);
                }
                Report(path, loaded, summary);
            }
            return 0;
        });
        return command;
    }

    /// <summary>
    /// A model to export with what the graph's input is (a video network's also its <paramref name="Frames"/>) and what
    /// the file's metadata says about it.
    /// </summary>
    internal sealed record Loaded(Module Model, string Description, int InChannels, int ImageSize, Dictionary<string, string> Metadata, string? Note,
        Func<Tensor>? Calibration = null, int? Frames = null);

    private static Loaded FromRun(string run, string checkpoint)
    {
        var (config, model, state) = RunModel.Load(run, checkpoint);
        var metadata = new Dictionary<string, string>
        {
            ["model"] = config.Model,
            ["weights"] = $"{Path.GetFullPath(run)} checkpoint '{checkpoint}' (epoch {state.Epoch})",
            ["classes"] = string.Join(",", config.Classes),
            ["mean"] = Floats(config.Mean),
            ["std"] = Floats(config.Std),
            ["preprocess"] = config.Preprocess,
        };
        string note = $"The input is images normalized as in training: (x / 255 - mean) / std per channel, mean [{Floats(config.Mean)}], std [{Floats(config.Std)}].";
        return new Loaded(model, $"{config.Model} from {run} ('{checkpoint}', epoch {state.Epoch})", config.InChannels, config.ImageSize, metadata, note,
            () => PrecisionChoice.CalibrationFrom(RunData.Of(config)));
    }

    /// <summary>A zoo model (a video network too) with the weights of <paramref name="weightsPath"/>, or with its random initialization.</summary>
    private static Loaded FromZoo(string name, string? weightsPath, bool printMap)
    {
        bool video = ModelCatalog.IsVideo(name);
        if (!Zoo.Contains(name) && !video)
            throw new CliException($"'{name}' is neither a run folder nor a zoo model. Known models: {string.Join(", ", ModelCatalog.Names)}.");
        var (classes, channels, size, frames) = video
            ? (VideoZoo.Entry(name).DefaultClasses, 3, VideoZoo.Entry(name).InputSize, VideoZoo.Entry(name).Frames)
            : (Zoo.Entry(name).DefaultClasses, Zoo.Entry(name).DefaultInChannels, Zoo.Entry(name).InputSize, (int?)null);
        if (weightsPath is not null)
        {
            var (net, report) = WeightsFile.Load(weightsPath, name);
            ImportCommand.PrintSummary(weightsPath, name, net, report);
            if (printMap) ImportCommand.PrintMap(report);
            var fromFile = new Dictionary<string, string> { ["model"] = name, ["weights"] = Path.GetFullPath(weightsPath) };
            return new Loaded(net, $"{name} with the weights of {weightsPath}", channels, size, fromFile, null, Frames: frames);
        }
        var model = ModelCatalog.Create(name, classes, channels);
        var metadata = new Dictionary<string, string> { ["model"] = name, ["weights"] = "random initialization" };
        return new Loaded(model, $"{name} with its random initialization (no trained weights)", channels, size, metadata,
            "The weights are the model's random initialization: the file shows the graph, its outputs mean nothing.", Frames: frames);
    }

    private static void Report(string path, Loaded loaded, OnnxExportSummary s)
    {
        var ops = string.Join(", ", s.OpCounts.OrderByDescending(o => o.Value).ThenBy(o => o.Key, StringComparer.Ordinal).Select(o => $"{o.Key} {o.Value}"));
        Console.WriteLine($"Wrote {path}: {loaded.Description}.");
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"  opset {s.Opset} (IR {s.IrVersion}), input {s.InputShape} -> output {s.OutputShape}{(s.DynamicBatch ? ", dynamic batch" : "")}, {s.FileBytes / 1048576.0:F1} MiB"));
        Console.WriteLine($"  {s.Nodes} nodes: {ops}");
        if (loaded.Note is not null) Console.WriteLine(loaded.Note);
    }

    internal static string Floats(float[] values) => string.Join(",", values.Select(v => v.ToString("R", CultureInfo.InvariantCulture)));
}
