using System.CommandLine;
using System.Globalization;
using ContextNets.IO;
using ContextNets.IO.Mapping;
using ContextNets.NN;

namespace ContextNets.Cli;

/// <summary>
/// `ctxnet import FILE --model M`: reads a PyTorch state dict (torch.save .pth/.pt, or safetensors) into a zoo model,
/// mapping mmcv or official ResNeSt names onto the model's, and writes the model's weights as safetensors. An ONNX
/// file needs no --model: <see cref="OnnxImportCommand"/> imports its graph.
/// </summary>
internal static class ImportCommand
{
    public static Command Create()
    {
        var file = new Argument<string>("FILE") { Description = "A torch.save file (.pth, .pt), a safetensors file (the format is told by its first bytes), or an ONNX file (FILE.onnx)." };
        var model = new Option<string?>("--model") { Description = "The zoo model the weights are for (ctxnet models lists them); not for an ONNX file." };
        var classes = new Option<int?>("--classes") { Description = "Classifier outputs (default: the model's)." };
        var inChannels = new Option<int?>("--in-channels") { Description = "Image channels (default: the model's)." };
        var output = new Option<string?>("--out") { Description = "The safetensors file to write (default: FILE with the extension .safetensors)." };
        var map = new Option<bool>("--map") { Description = "Print every key of the file with the model key it went to, the unused and the missing ones." };
        var strict = new Option<bool>("--strict") { Description = "Fail unless every model tensor is in the file and every file tensor is used." };
        var partial = new Option<bool>("--partial") { Description = "Accept a file that lacks some of the model's tensors: they keep their initial values, and are listed." };
        var convention = new Option<string>("--convention")
        {
            Description = $"The file's key names: {string.Join(", ", KeyConventions.Names)}.",
            DefaultValueFactory = _ => "auto",
        };
        var command = new Command("import", "Convert a PyTorch state dict (.pth or safetensors; timm, torchvision, mmcv or ResNeSt names) into a zoo model's safetensors weights.")
        {
            file, model, classes, inChannels, output, map, strict, partial, convention,
        };
        command.SetAction(p =>
        {
            string path = p.GetValue(file)!;
            if (OnnxFile.Is(path))
            {
                if (p.GetValue(model) is not null) throw new CliException($"{path} is an ONNX file: its graph is the model; leave out --model.");
                string onnxOut = p.GetValue(output) ?? DefaultOutput(path);
                OutputFile.Require(onnxOut, "--out", Path.GetFileNameWithoutExtension(path) + ".safetensors");
                OnnxImportCommand.Run(path, onnxOut, p.GetValue(map));
                return 0;
            }
            string name = p.GetValue(model) ?? throw new CliException("--model is required: name the zoo model the weights are for (ctxnet models lists them).");
            KeyConvention keys;
            try { keys = KeyConventions.Parse(p.GetValue(convention)!); }
            catch (ArgumentException e) { throw new CliException($"--convention: {e.Message}"); }
            string outPath = p.GetValue(output) ?? DefaultOutput(path);
            OutputFile.Require(outPath, "--out", name + ".safetensors");
            var (net, report) = WeightsFile.Load(path, name, p.GetValue(classes), p.GetValue(inChannels), p.GetValue(strict), keys);
            using (net)
            {
                if (p.GetValue(map)) PrintMap(report);
                RequireMatches(path, name, net, report, p.GetValue(partial));
                PrintSummary(path, name, net, report);
                string intact = File.Exists(outPath) ? $"the previous {outPath} is intact" : "nothing was written";
                DiskFullMessage.Guard(outPath, intact, () => SafetensorsFile.Write(outPath, net.StateDict(), new Dictionary<string, string>
                {
                    ["format"] = "pt",
                    ["model"] = name,
                    ["imported_from"] = Path.GetFileName(path),
                    ["key_convention"] = report.Convention,
                }));
                Console.WriteLine($"wrote {outPath}");
            }
            return 0;
        });
        return command;
    }

    private static string DefaultOutput(string path)
    {
        string output = Path.ChangeExtension(path, ".safetensors");
        if (Path.GetFullPath(output) == Path.GetFullPath(path))
            throw new CliException($"{path} is already a .safetensors file; give the converted file a name with --out.");
        return output;
    }

    /// <summary>
    /// A file that gave the model none of its tensors is always refused; one that lacks some is refused unless
    /// <paramref name="partial"/> accepts that they keep their initial values. Nothing is written either way.
    /// </summary>
    private static void RequireMatches(string path, string name, Module net, LoadReport report, bool partial)
    {
        int total = net.StateDict().Count;
        if (report.Mapping.All(m => m.Target is null))
            throw new CliException($"{path}: none of its {report.Mapping.Count} tensors is one of {name}'s {total} ({report.Convention} keys); nothing was written (--map shows the keys).");
        if (report.Missing.Count > 0 && !partial)
            throw new CliException($"{path}: {report.Missing.Count} of {name}'s {total} tensors are not in the file: {Sample(report.Missing)}. Give --partial to keep their initial values; nothing was written.");
    }

    internal static void PrintSummary(string path, string name, Module net, LoadReport report)
    {
        int total = net.StateDict().Count;
        int loaded = report.Mapping.Count(m => m.Target is not null);
        int reshaped = report.Mapping.Count(m => m.Reshaped);
        int counters = report.Mapping.Count(m => m.Target is null) - report.Unexpected.Count;
        Console.WriteLine($"read {path} ({report.Source}): {report.Mapping.Count} tensors, {report.Convention} keys");
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{name}: {loaded} of {total} tensors loaded ({reshaped} reshaped), {report.Missing.Count} missing; {report.Unexpected.Count} file tensors unused, {counters} BatchNorm counters ignored"));
        if (report.Missing.Count > 0)
            Console.WriteLine($"missing (left at their initial values, --partial): {string.Join(", ", report.Missing)}");
        if (report.Unexpected.Count > 0)
            Console.WriteLine($"unused: {Sample(report.Unexpected)}");
    }

    /// <summary>One line per file tensor (source [shape] -> target [shape]), then the model tensors no file tensor reached.</summary>
    internal static void PrintMap(LoadReport report)
    {
        var unused = report.Unexpected.ToHashSet(StringComparer.Ordinal);
        int width = report.Mapping.Select(m => m.Source.Length + m.SourceShape.ToString().Length + 1).DefaultIfEmpty(0).Max();
        foreach (var m in report.Mapping)
        {
            string left = $"{m.Source} {m.SourceShape}".PadRight(width);
            string right = m switch
            {
                { Target: null } when unused.Contains(m.Source) => "(unused)",
                { Target: null } => "(ignored: BatchNorm counter)",
                { Reshaped: true } => $"{m.Target} {m.TargetShape} (reshaped)",
                _ => m.Target!,
            };
            Console.WriteLine($"{left} -> {right}");
        }
        foreach (var k in report.Missing) Console.WriteLine($"{"(missing)".PadRight(width)} -> {k}");
    }

    private static string Sample(IReadOnlyList<string> keys) =>
        string.Join(", ", keys.Take(8)) + (keys.Count > 8 ? $", ... ({keys.Count} in all; --map lists them)" : "");
}
