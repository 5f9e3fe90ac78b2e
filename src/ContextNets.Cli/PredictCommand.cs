using System.CommandLine;
using System.Globalization;
using ContextNets.Autograd;
using ContextNets.Data;
using ContextNets.Data.Transforms;
using ContextNets.Training;

namespace ContextNets.Cli;

/// <summary>`ctxnet predict RUN IMAGE...`: the top-5 classes of each image with their probabilities.</summary>
internal static class PredictCommand
{
    public static Command Create()
    {
        var run = new Argument<string>("RUN") { Description = "A run folder made by ctxnet train." };
        var images = new Argument<string[]>("IMAGE") { Description = "PNG or JPEG files (for a video run: clip folders of frames).", Arity = ArgumentArity.OneOrMore };
        var checkpoint = new Option<string>("--checkpoint") { Description = "best or last.", DefaultValueFactory = _ => Trainer.Best };
        var top = new Option<int>("--top") { Description = "How many classes to show per image.", DefaultValueFactory = _ => 5 };
        var precision = PrecisionChoice.Option();
        var command = new Command("predict", "Classify images with a trained run.") { run, images, checkpoint, top, precision, Int8Choice.MethodOption, Int8Choice.AttentionOption };
        command.SetAction(p =>
        {
            var files = p.GetValue(images)!;
            int k = p.GetValue(top);
            var chosen = PrecisionChoice.Parse(p.GetValue(precision)!);
            var int8 = Int8Choice.Read(p, chosen);
            if (VideoRunConfig.IsIn(p.GetValue(run)!)) return VideoEvaluation.Predict(p.GetValue(run)!, files, p.GetValue(checkpoint)!, k, TrainCommand.Given(p, precision));
            if (k < 1) throw new CliException($"--top must be at least 1, not {k}.");
            foreach (var f in files)
                if (!File.Exists(f)) throw new CliException($"The image {f} does not exist.");
            var (config, model, _) = RunModel.Load(p.GetValue(run)!, p.GetValue(checkpoint)!);
            using (model)
            {
                using var batch = Preprocess(config, files);
                using var scope = Tensor.Scope();
                using var noGrad = GradMode.NoGrad();
                using var prepared = chosen == Precision.Fp32 ? null : PrecisionChoice.Prepare(model, chosen, () => PrecisionChoice.CalibrationFrom(RunData.Of(config)), int8);
                if (prepared?.Quantization is { } table) Console.WriteLine(QuantizationReport.Summary(table));
                var logits = prepared?.Predict(batch.Images) ?? model.Forward(batch.Images);
                for (int i = 0; i < files.Length; i++)
                {
                    PrintTop(files[i], Classification.Softmax(logits, i), config.Classes, k);
                }
            }
            return 0;
        });
        return command;
    }

    /// <summary>The input's name, then its <paramref name="top"/> most probable classes, one a line.</summary>
    internal static void PrintTop(string input, double[] probs, string[] classes, int top)
    {
        Console.WriteLine(input);
        foreach (var c in Enumerable.Range(0, probs.Length).OrderByDescending(c => probs[c]).ThenBy(c => c).Take(top))
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  {100 * probs[c],6:F2}%  {classes[c]}"));
    }

    /// <summary>
    /// Decodes each file with the model's channels, brings it to the model's input size (an IDX-trained model takes
    /// the whole image resized to its square; a folder-trained one the evaluation crop), and normalizes as in
    /// training, through the same loader path as evaluation.
    /// </summary>
    private static Batch Preprocess(RunConfig config, string[] files)
    {
        IImageTransform fit = config.Preprocess == RunConfig.WholeImage ? new Resize(config.ImageSize, config.ImageSize) : RunData.EvalTransform(config.ImageSize);
        using var loader = new DataLoader(new Files(files, config), fit, new Normalize(config.Mean, config.Std),
            new LoaderOptions { BatchSize = files.Length, Shuffle = false });
        return loader.MakeBatch(0, 0);
    }

    /// <summary>The images to classify, as a dataset without labels.</summary>
    private sealed class Files(string[] paths, RunConfig config) : IDataset
    {
        public int Count => paths.Length;
        public IReadOnlyList<string> Classes => config.Classes;
        public int Label(int index) => 0;
        public Image8 Image(int index) => ImageDecoder.Load(paths[index], config.InChannels);
    }
}
