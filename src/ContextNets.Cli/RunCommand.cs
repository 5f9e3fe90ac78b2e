using System.CommandLine;
using ContextNets.IO;
using ContextNets.Models.Outputs;

namespace ContextNets.Cli;

/// <summary>
/// `ctxnet run MODEL --weights W --input IN --output OUT`: one eval-mode run of a zoo model on the tensor `x` of a
/// safetensors file, its outputs written under the names the model gives them (<see cref="OutputNames"/>), so that a
/// port can be checked against PyTorch tensor by tensor. MODEL may also be an ONNX file (<see cref="OnnxRunCommand"/>),
/// which needs no --weights.
/// </summary>
internal static class RunCommand
{
    public const string InputKey = "x";

    public static Command Create()
    {
        var model = new Argument<string>("MODEL") { Description = "A zoo model, by name (ctxnet models lists them), or an ONNX file (FILE.onnx)." };
        var weights = new Option<string?>("--weights") { Description = "The zoo model's weights: safetensors or a torch.save file, loaded strictly." };
        var input = new Option<string>("--input") { Description = $"A safetensors file holding the input as '{InputKey}' (images [N, C, H, W] for a classifier).", Required = true };
        var output = new Option<string>("--output") { Description = "The safetensors file to write the outputs to (logits for a classifier).", Required = true };
        var prepared = new Option<bool>("--prepared") { Description = "Run the folded inference path (BatchNorm folded into the convolutions, post-ops fused)." };
        var classes = new Option<int?>("--classes") { Description = "Classifier outputs, or a detector's classes with the background (default: read from the weights)." };
        var minSize = new Option<int>("--min-size") { Description = "A detector's short image side after resizing (torchvision's min_size).", DefaultValueFactory = _ => 800 };
        var maxSize = new Option<int>("--max-size") { Description = "A detector's longest image side after resizing (torchvision's max_size).", DefaultValueFactory = _ => 1333 };
        var command = new Command("run", "Run a zoo model in eval mode on a tensor x from a safetensors file and write its named outputs.")
        {
            model, weights, input, output, prepared, classes, minSize, maxSize,
        };
        command.SetAction(p =>
        {
            string name = p.GetValue(model)!;
            if (OnnxFile.Is(name))
            {
                if (p.GetValue(weights) is not null || p.GetValue(classes) is not null)
                    throw new CliException($"{name} is an ONNX file: its weights and classes are in it; leave out --weights and --classes.");
                OnnxRunCommand.Run(name, p.GetValue(input)!, p.GetValue(output)!, p.GetValue(prepared));
            }
            else Run(name, p.GetValue(weights) ?? throw new CliException("--weights is required for a zoo model."), p.GetValue(input)!, p.GetValue(output)!,
                p.GetValue(prepared), p.GetValue(classes), (p.GetValue(minSize), p.GetValue(maxSize)));
            return 0;
        });
        return command;
    }

    private static void Run(string name, string weightsPath, string inputPath, string outputPath, bool prepared, int? classes, (int min, int max) detectorSizes)
    {
        if (File.Exists(name)) throw new CliException($"MODEL is a zoo model's name or an ONNX file (FILE.onnx); {name} is neither.");
        bool detector = Detection.DetectionZoo.Contains(name);
        if (!detector) ModelCatalog.Require(name, segmenters: true);
        if (detector && prepared) throw new CliException($"{name} has no folded inference path; leave out --prepared.");
        OutputFile.Require(outputPath, "--output", "out.safetensors");
        if (!File.Exists(inputPath)) throw new CliException($"The input file {inputPath} does not exist.");
        if (!File.Exists(weightsPath)) throw new CliException($"The weights file {weightsPath} does not exist.");
        using var inputs = SafetensorsFile.Read(inputPath);
        if (!inputs.Contains(InputKey))
            throw new CliException($"{inputPath} has no tensor '{InputKey}' (it holds {string.Join(", ", inputs.Keys.DefaultIfEmpty("nothing"))}).");
        Engine.EnsureNative();
        using var x = inputs.Load(InputKey);
        if (detector)
        {
            using var detections = DetectorRun.Run(name, weightsPath, x, classes, detectorSizes.min, detectorSizes.max);
            Write(outputPath, detections, name, prepared: false);
            Console.WriteLine($"wrote {outputPath}");
            return;
        }
        int? inChannels = x.Rank is 4 or 5 ? x.Shape[1] : null;
        var (net, _) = WeightsFile.Load(weightsPath, name, classes ?? WeightsDims.Classes(name, weightsPath), inChannels, segmenters: true);
        using (net)
        {
            if (net is not IOutputModel plain) throw new CliException($"{name} does not name its outputs, so ctxnet run cannot run it.");
            using var folded = prepared ? (net as IPreparable)?.PrepareForRun() ?? throw new CliException($"{name} has no folded inference path; leave out --prepared.") : null;
            ModelOutputs outputs;
            try { outputs = ((IOutputModel?)folded ?? plain).Run(x); }
            catch (ArgumentException e) { throw new CliException($"{inputPath}: '{InputKey}' of shape {x.Shape} does not fit {name}: {e.Message}"); }
            using (outputs) Write(outputPath, outputs, name, prepared);
        }
        Console.WriteLine($"wrote {outputPath}");
    }

    private static void Write(string path, ModelOutputs outputs, string model, bool prepared)
    {
        var tensors = outputs.All.ToDictionary(o => o.Name, o => o.Value);
        var int64 = outputs.All.Where(o => o.Type == OutputType.Int64).Select(o => o.Name).ToHashSet();
        var metadata = new Dictionary<string, string> { ["model"] = model, ["path"] = prepared ? "prepared" : "eval" };
        DiskFullMessage.Guard(path, "nothing else was changed", () => SafetensorsFile.Write(path, tensors, metadata, int64));
    }
}
