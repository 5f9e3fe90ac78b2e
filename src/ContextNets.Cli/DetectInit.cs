using ContextNets.Detection;
using ContextNets.Detection.Backbone;
using ContextNets.Models;
using ContextNets.NN;
using ContextNets.Training;

namespace ContextNets.Cli;

/// <summary>
/// `train --task detect --init PATH`: the detector's body starts from a classifier's weights
/// (<see cref="DetectorBody.LoadFrom"/>), the FPN and the heads anew. PATH is a classification run folder of the
/// body's zoo model (its `best` checkpoint) or a weights file of it (timm/torchvision keys, as `--init` reads them for
/// a classifier). Attention blocks that the classifier lacks (the GC and NL ablation bodies on a plain resnet18) start
/// anew and are named.
/// </summary>
internal static class DetectInit
{
    /// <summary>Loads <paramref name="path"/> into <paramref name="detector"/>'s body and returns a line that says what came from where.</summary>
    public static string Load(MaskRcnn detector, string detectorName, string path)
    {
        string body = DetectionZoo.PretrainedBodyOf(detectorName);
        var (source, from) = Open(path, body);
        using (source)
        {
            if (source is not ResNet classifier) throw new CliException($"--init {path}: {body} is not a ResNet-family classifier.");
            IReadOnlyList<string> fresh;
            try
            {
                fresh = DetectorBody.LoadFrom(detector.Backbone.Body, classifier);
            }
            catch (ArgumentException e)
            {
                throw new CliException($"--init {path} does not fit {detectorName}'s body: {e.Message.Split('\n')[0]}");
            }
            var modules = fresh.Select(k => k[..k.LastIndexOf('.')]).Distinct().ToList();
            string added = modules.Count == 0 ? ""
                : $"; new in the body: {string.Join(", ", modules.Take(4))}{(modules.Count > 4 ? $" and {modules.Count - 4} more" : "")}";
            return $"Body: from {from}; the FPN and the heads start anew{added}.";
        }
    }

    /// <summary>The classifier in <paramref name="path"/>: a run folder's `best` checkpoint, or a weights file of <paramref name="body"/>.</summary>
    private static (Module Model, string From) Open(string path, string body)
    {
        if (Directory.Exists(path))
        {
            var config = RunConfig.Load(path);
            if (config.Model != body)
                throw new CliException($"--init {path} is a run of {config.Model}; the detector's body takes {body}'s weights.");
            var (_, model, state) = RunModel.Load(path, Trainer.Best);
            return (model, $"{path} ({config.Model}, epoch {state.Epoch}, test accuracy {100 * state.BestAccuracy:F2}%)");
        }
        if (!File.Exists(path)) throw new CliException($"The --init file or run folder {path} does not exist.");
        try
        {
            var (model, _) = WeightsFile.Load(path, body, WeightsDims.Classes(body, path), WeightsDims.InChannels(body, path));
            return (model, $"{Path.GetFileName(path)} ({body})");
        }
        catch (Exception e) when (e is InvalidDataException or EndOfStreamException or NotSupportedException or ArgumentException)
        {
            throw new CliException($"--init {path} cannot be used: {e.Message.Split('\n')[0]}");
        }
    }
}
