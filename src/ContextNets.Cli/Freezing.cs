using System.Globalization;
using ContextNets.Import;
using ContextNets.NN;

namespace ContextNets.Cli;

/// <summary>
/// `train --freeze PART`: the stem, the stem and the first N stages (`layer1`..`layerN`), or the whole backbone
/// (everything but the head) stop training. Their parameters take no gradient and their BatchNorms keep their running
/// statistics (<see cref="Module.Freeze"/>).
/// </summary>
internal static class Freezing
{
    public const string Stem = "stem", Backbone = "backbone";

    /// <summary>The top-level parts of <paramref name="model"/> that <paramref name="part"/> names; a bad value is a <see cref="CliException"/>.</summary>
    public static IReadOnlyList<string> Parts(Module model, string part, string[] head)
    {
        var children = model.NamedChildren().Select(c => c.name).ToList();
        var body = children.Where(c => !head.Any(h => h.StartsWith(c + ".", StringComparison.Ordinal))).ToList();
        if (part == Backbone) return body;
        if (model is OnnxClassifier)
            throw new CliException($"--freeze on an ONNX graph is '{Backbone}' (the whole graph): its stages have no names to tell them by, not '{part}'.");
        var stages = body.Where(c => c.StartsWith("layer", StringComparison.Ordinal) && int.TryParse(c.AsSpan(5), NumberStyles.None, CultureInfo.InvariantCulture, out _)).ToList();
        var stem = body.TakeWhile(c => !stages.Contains(c)).ToList();
        if (part == Stem) return stem;
        if (int.TryParse(part, NumberStyles.None, CultureInfo.InvariantCulture, out int n) && n >= 1 && n <= stages.Count)
            return [.. stem, .. stages.Take(n)];
        throw new CliException($"--freeze is '{Stem}', a number of stages from 1 to {stages.Count} (the stem and that many stages), or '{Backbone}' (all but the head), not '{part}'.");
    }

    public static void Apply(Module model, string part, string[] head)
    {
        var parts = Parts(model, part, head);
        foreach (var (name, child) in model.NamedChildren())
            if (parts.Contains(name)) child.Freeze();
    }

    /// <summary>For the run's header: what is frozen, by name.</summary>
    public static string Describe(Module model, string part, string[] head) => string.Join(", ", Parts(model, part, head));
}
