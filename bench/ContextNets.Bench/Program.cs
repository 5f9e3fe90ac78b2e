using System.Text.Json.Nodes;
using ContextNets;
using ContextNets.Bench;

// Block benchmarks parse their own options (see each class for its flags).
switch (args.FirstOrDefault())
{
    case "blocks": return ContextNets.Bench.Blocks.BlockBenchmark.Run(args[1..]);
    case "splat": return ContextNets.Bench.Blocks.SplitAttnBenchmark.Run(args[1..]);
    case "nl": return ContextNets.Bench.Blocks.NonLocalBenchmark.Run(args[1..]);
    case "nl-precision": return ContextNets.Bench.Blocks.NonLocalPrecisionBenchmark.Run(args[1..]);
    case "precision": return ContextNets.Bench.Precision.PrecisionBenchmark.Run(args[1..]);
    case "precision-train": return ContextNets.Bench.Precision.TrainStepBenchmark.Run(args[1..]);
    case "precision-attention": return ContextNets.Bench.Precision.AttentionInt8Benchmark.Run(args[1..]);
    case "precision-convert": return ContextNets.Bench.Precision.ConvertBenchmark.Run(args[1..]);
    case "models": return ContextNets.Bench.Models.ModelsBenchmark.Run(args[1..]);
    case "winograd-sizes": return ContextNets.Bench.WinogradSizesBenchmark.Run(args[1..]);
    case "video": return ContextNets.Bench.Video.VideoBenchmark.Run(args[1..]);
    case "detection": return ContextNets.Bench.Detection.DetectionBenchmark.Run(args[1..]);
    case "segmentation": return ContextNets.Bench.Segmentation.SegmentationBenchmark.Run(args[1..]);
    case "tta": return ContextNets.Bench.Training.TimeToAccuracyBenchmark.Run(args[1..]);
    case "scaling": return ContextNets.Bench.Scaling.ScalingBenchmark.Run(args[1..]);
    case "scaling-worker": return ContextNets.Bench.Scaling.ScalingWorker.Run(args[1..]);
}

BenchOptions options;
try { options = BenchOptions.Parse(args); }
catch (ArgumentException e) { Console.Error.WriteLine(e.Message); return 2; }

// The engine reads its thread count once, when oneDNN is first loaded.
Environment.SetEnvironmentVariable("CTXNET_THREADS", options.Threads.ToString());
Engine.EnsureNative();
Engine.ActivationFormat = options.Layout;
if (Engine.Threads != options.Threads) Console.Error.WriteLine($"warning: asked for {options.Threads} threads, the engine runs {Engine.Threads}.");
Console.WriteLine($"ContextNets bench: oneDNN {Engine.OneDnnVersion} ({Engine.OneDnnIsa}), {Engine.Threads} threads, activations {Engine.ActivationFormat}");

var started = DateTime.Now;
var results = new JsonObject();
if (options.Mode is "convs" or "all") results["convs"] = ConvsBenchmark.Run(options, started);
if (options.Mode is "overhead" or "all") results["overhead"] = OverheadBenchmark.Run(options, started);

if (options.Out is { } outPath)
    ResultFile.Write(outPath, results.Count == 1 ? results.First().Value!.DeepClone() : results);
else
    foreach (var (kind, json) in results) ResultFile.Write(ResultFile.DefaultPath(kind, started), json!.DeepClone());
return 0;
