using ContextNets.Detection;
using ContextNets.IO;
using ContextNets.Models.Outputs;

namespace ContextNets.Cli;

/// <summary>
/// `ctxnet run` for a detector (<see cref="DetectionZoo"/>): `x` is one image [3, H, W] in [0, 1], the class count
/// comes from the box predictor's weights, and --min-size / --max-size are torchvision's constructor arguments of the
/// same names (800 and 1333 by default).
/// </summary>
internal static class DetectorRun
{
    private const string ClassKey = "roi_heads.box_predictor.cls_score.weight";

    public static ModelOutputs Run(string name, string weightsPath, Tensor x, int? classes, int minSize, int maxSize)
    {
        if (x.Rank != 3 || x.Shape[0] != 3)
            throw new CliException($"A detector takes one image as '{RunCommand.InputKey}' [3, H, W] with values in [0, 1], not {x.Shape}.");
        using var model = Load(name, weightsPath, classes, minSize, maxSize);
        return model.Run(x);
    }

    /// <summary>Detector <paramref name="name"/> with the weights of <paramref name="weightsPath"/>, in eval mode; its class count from the weights unless given.</summary>
    public static MaskRcnn Load(string name, string weightsPath, int? classes, int minSize, int maxSize)
    {
        if (minSize < 1 || maxSize < minSize) throw new CliException($"--min-size {minSize} and --max-size {maxSize} must be positive, the maximum at least the minimum.");
        int numClasses = classes ?? ClassesOf(weightsPath);
        if (numClasses < 2) throw new CliException($"A detector needs the background and at least one class; --classes {numClasses} is too few.");
        Engine.EnsureNative();
        var model = DetectionZoo.Create(name, numClasses, new DetectorSettings { MinSize = minSize, MaxSize = maxSize });
        try { model.Load(weightsPath); }
        catch (InvalidDataException e)
        {
            model.Dispose();
            throw new CliException(e.Message);
        }
        model.Eval();
        return model;
    }

    private static int ClassesOf(string path)
    {
        var source = StateDictFiles.Open(path);
        try
        {
            return source.Contains(ClassKey)
                ? source.ShapeOf(ClassKey)[0]
                : throw new CliException($"{path} has no '{ClassKey}', so it is not a Mask R-CNN's weights; give --classes or another file.");
        }
        finally
        {
            (source as IDisposable)?.Dispose();
        }
    }
}
