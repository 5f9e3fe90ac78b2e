using System.Globalization;
using ContextNets.Autograd;
using ContextNets.Data;
using ContextNets.Data.Clips;
using ContextNets.Data.Transforms;
using ContextNets.NN;
using ContextNets.Training;

namespace ContextNets.Cli;

/// <summary>`ctxnet eval RUN` and `ctxnet predict RUN CLIPFOLDER...` for a video run.</summary>
internal static class VideoEvaluation
{
    public static int Eval(string run, string checkpoint, string? precision, CancellationToken cancel)
    {
        if (precision is not null) throw new CliException("--precision prepares image classifiers; a video run is evaluated in fp32.");
        var (config, model, state) = Load(run, checkpoint);
        using (model)
        {
            var data = VideoData.Of(config);
            using var loader = new DataLoader(data.Test, new LoaderOptions { BatchSize = config.BatchSize, Shuffle = false, Seed = config.Seed });
            var r = Trainer.Evaluate(model, loader, cancel);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{config.Model}, checkpoint '{checkpoint}' (epoch {state.Epoch}), on {r.Samples} test clips: loss {r.Loss:F4}, accuracy {100 * r.Accuracy:F2}% ({r.Samples / r.Seconds:F1} clips/s)"));
        }
        return 0;
    }

    /// <summary>
    /// The top classes of each clip folder (its frames in name order), sampled as the run's evaluation samples: the
    /// centred span of its frames at the run's stride, the shorter side scaled to the run's size and the centre cropped.
    /// </summary>
    public static int Predict(string run, string[] clips, string checkpoint, int top, string? precision)
    {
        VideoTask.RefusePrecision(precision);
        if (top < 1) throw new CliException($"--top must be at least 1, not {top}.");
        var frames = clips.Select(ClipFolder.FramesIn).ToArray();
        var (config, model, _) = Load(run, checkpoint);
        using (model)
        {
            var sampler = new ClipSampler(config.Frames, config.Stride, config.Size, train: false, new Normalize(config.Mean, config.Std));
            using var loader = new DataLoader(new Folders(clips, frames, sampler, config.Classes), new LoaderOptions { BatchSize = clips.Length, Shuffle = false });
            using var batch = loader.MakeBatch(0, 0);
            using var scope = Tensor.Scope();
            using var noGrad = GradMode.NoGrad();
            var logits = model.Forward(batch.Images);
            for (int i = 0; i < clips.Length; i++)
            {
                PredictCommand.PrintTop(clips[i], Classification.Softmax(logits, i), config.Classes, top);
            }
        }
        return 0;
    }

    /// <summary>The clip folders to classify, as a source without labels.</summary>
    private sealed class Folders(string[] clips, string[][] frames, ClipSampler sampler, string[] classes) : IClipSource
    {
        public int Count => clips.Length;
        public IReadOnlyList<string> Classes => classes;
        public int Label(int index) => 0;
        public int Channels => sampler.Channels;
        public int Frames => sampler.Frames;
        public int Height => sampler.Size;
        public int Width => sampler.Size;

        public unsafe void Write(int index, Rng rng, float* dst, long strideC, long strideT, long strideH, long strideW) =>
            sampler.Write(frames[index], clips[index], rng, dst, strideC, strideT, strideH, strideW);
    }

    internal static (VideoRunConfig config, Module model, TrainingState state) Load(string run, string checkpoint)
    {
        RunModel.RequireName(checkpoint);
        var config = VideoRunConfig.Load(run);
        var (model, state) = RunModel.Restore(run, checkpoint, () => VideoTraining.Create(config));
        return (config, model, state);
    }
}
