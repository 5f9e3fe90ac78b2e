using ContextNets.Import;
using ContextNets.Models;
using ContextNets.NN;

namespace ContextNets.Cli;

/// <summary>
/// The network of a run, made here and nowhere else: a zoo model, or a new head on an imported ONNX graph
/// (`train --init FILE.onnx`), with the part --freeze names frozen, so that training, resume, eval and predict
/// all rebuild the same one.
/// </summary>
internal static class RunNetwork
{
    /// <summary>The model name a run on an ONNX graph records.</summary>
    public const string Onnx = "onnx";

    public static bool IsOnnx(RunConfig c) => c.Model == Onnx;

    /// <summary>Throws a <see cref="CliException"/> unless the run's network can be built: a known zoo model, or its ONNX graph still in place.</summary>
    public static void Require(RunConfig c)
    {
        if (!IsOnnx(c))
        {
            ModelCatalog.Require(c.Model);
            return;
        }
        if (c.Init is null || !File.Exists(c.Init))
            throw new CliException($"The run is a classifier on the ONNX graph {c.Init ?? "(none recorded)"}, which is not there: the graph is the network's structure, so put it back where it was.");
    }

    /// <summary>The run's network, seeded by <paramref name="seed"/>, with its frozen part frozen; the caller owns it.</summary>
    public static Module Create(RunConfig c, int seed = Zoo.DefaultSeed)
    {
        Require(c);
        var model = IsOnnx(c) ? OnGraph(c, seed) : ModelCatalog.Create(c.Model, c.Classes.Length, c.InChannels, seed, c.DropBlock);
        try
        {
            if (c.Freeze is { } part) Freezing.Apply(model, part, HeadOf(c));
            return model;
        }
        catch
        {
            model.Dispose();
            throw;
        }
    }

    /// <summary>The head's parameters: names, or prefixes ending in a dot (what <see cref="Training.TrainerOptions.Head"/> takes).</summary>
    public static string[] HeadOf(RunConfig c) => IsOnnx(c) ? [OnnxClassifier.HeadName + "."] : [.. WeightsDims.ClassDependent(c.Model).Keys];

    private static OnnxClassifier OnGraph(RunConfig c, int seed)
    {
        var graph = OnnxFile.Load(c.Init!, c.Features);
        try
        {
            return new OnnxClassifier(graph, c.Classes.Length, c.InChannels, c.ImageSize, seed);
        }
        catch (Exception e) when (e is InvalidDataException or ArgumentException)
        {
            graph.Dispose();
            throw new CliException($"{c.Init} does not take {c.InChannels}x{c.ImageSize}x{c.ImageSize} images: {e.Message}");
        }
        catch
        {
            graph.Dispose();
            throw;
        }
    }
}
