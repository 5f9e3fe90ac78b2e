using ContextNets.Detection;

namespace ContextNets.Cli;

/// <summary>
/// The default detection run's body. torchvision's detectors start from an ImageNet-trained body; there is no ImageNet
/// here, but the generated scenes are made of Fashion-MNIST items, so the body's zoo classifier first learns to tell
/// them apart: one epoch of the classification recipe at 64 px, a classification run in the detection run's `body`
/// folder, whose `best` checkpoint then starts the detector's body (<see cref="DetectInit"/>).
/// </summary>
internal static class BodyPretraining
{
    public const string Folder = "body";
    public const int ImageSize = 64, Epochs = 1;

    /// <summary>
    /// Trains the body of <paramref name="detector"/> into <paramref name="runDir"/>/body, on the first
    /// <paramref name="images"/> training images (all when null), and returns that folder.
    /// </summary>
    public static string Run(string detector, string runDir, long seed, int? images, CancellationToken cancel)
    {
        string model = DetectionZoo.PretrainedBodyOf(detector), dir = Path.Combine(runDir, Folder);
        Console.WriteLine($"Pretraining the body: {model} on Fashion-MNIST at {ImageSize} px, {Epochs} epoch{(images is { } k ? $" of its first {k} images" : "")}, into {dir} (--init RUN|FILE or --from-scratch instead).");
        var data = RunData.Open(RunData.FashionMnistName, ImageSize, model);
        if (images is { } n) data = data.WithSubset(n);
        var config = new RunConfig
        {
            Model = model,
            Data = RunData.FashionMnistName,
            ImageSize = data.ImageSize,
            Preprocess = RunConfig.WholeImage,
            InChannels = data.Channels,
            Classes = [.. data.Train.Classes],
            Mean = [.. data.Normalize.Mean],
            Std = [.. data.Normalize.Std],
            Aug = TrainCommand.DefaultAug,
            BatchSize = TrainCommand.DefaultBatchSize,
            Subset = images,
            Seed = seed,
            Trainer = TrainCommand.Recipe with { Epochs = Epochs },
        };
        int code = TrainCommand.TrainNew(config, data, dir, cancel);
        if (code != 0) throw new CliException($"Pretraining the body in {dir} failed (exit {code}).", code);
        return dir;
    }
}
