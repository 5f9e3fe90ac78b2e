using ContextNets.IO;
using ContextNets.NN;

namespace ContextNets.Cli;

/// <summary>
/// `train --model M --init FILE` for a zoo model: the weights of a timm/torchvision checkpoint (safetensors or
/// torch.save, keys mapped as `ctxnet import` maps them) copied into the new run's model, every tensor but a head
/// whose class count differs, which is replaced (and said so in one line). A missing or unreadable file, or one that
/// does not fit the model, is a one-line refusal.
/// </summary>
internal static class TransferInit
{
    /// <summary>The input channels the checkpoint was trained on (the data is given to the model so), or null when it cannot tell.</summary>
    public static int? InChannels(string model, string path) => Read(path, () => WeightsDims.InChannels(model, path));

    /// <summary>Copies the checkpoint into <paramref name="model"/>, a new <paramref name="name"/> for <paramref name="classes"/> classes.</summary>
    public static void Load(Module model, string name, int classes, int inChannels, string path)
    {
        var head = WeightsDims.ClassDependent(name);
        int? saved = Read(path, () => WeightsDims.Classes(name, path));
        if (saved is null)
        {
            // A checkpoint saved without its classifier (timm's num_classes=0): the head starts anew.
            var report = Read(path, () => model.Load(path, strict: false));
            Fit(path, name, report, head.Keys);
            if (report.Missing.Count > 0)
                Console.WriteLine($"Head: {string.Join(", ", report.Missing)} are not in {Path.GetFileName(path)}: they start anew for {classes} classes.");
            return;
        }
        int n = saved.Value;
        if (n == classes)
        {
            Fit(path, name, Read(path, () => model.Load(path, strict: false)), []);
            return;
        }
        // The checkpoint goes into a model of its own class count; all but its head is then copied over.
        using var skip = Initializers.SkipRandom();
        using var source = ModelCatalog.Create(name, n, inChannels);
        Fit(path, name, Read(path, () => source.Load(path, strict: false)), []);
        var state = source.StateDict();
        model.LoadStateDict(state.Where(kv => !head.ContainsKey(kv.Key)).ToDictionary(), strict: false);
        Console.WriteLine($"Replaced the head: {string.Join(", ", head.Keys.Select(k => $"{k} {state[k].Shape}"))} of the {n} classes in {Path.GetFileName(path)} start anew for {classes} classes.");
    }

    /// <summary>Refuses a file that lacks any of the model's tensors but <paramref name="mayLack"/>, or holds any tensor the model has not.</summary>
    private static void Fit(string path, string name, LoadReport report, IEnumerable<string> mayLack)
    {
        var missing = report.Missing.Except(mayLack).ToList();
        if (missing.Count > 0 || report.Unexpected.Count > 0)
            throw new CliException($"--init {path} does not fit {name} ({report.Convention} keys): {new LoadReport(missing, report.Unexpected)}.");
    }

    /// <summary>Runs a read of the file with its failures (missing, not a weights file, a shape or value that does not fit) as one line each.</summary>
    private static T Read<T>(string path, Func<T> read)
    {
        if (!File.Exists(path)) throw new CliException($"The --init file {path} does not exist.");
        try
        {
            return read();
        }
        catch (Exception e) when (e is InvalidDataException or EndOfStreamException or NotSupportedException)
        {
            string message = e.Message.StartsWith(path, StringComparison.Ordinal) ? e.Message[path.Length..].TrimStart(':', ' ') : e.Message;
            throw new CliException($"--init {path} cannot be used: {OneLine(message)}");
        }
    }

    private static string OneLine(string text) => string.Join(" ", text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
}
