using System.Security.Cryptography;
using System.Text.RegularExpressions;
using ContextNets.IO;
using ContextNets.NN;

namespace ContextNets.Training;

/// <summary>
/// A training checkpoint in a directory, under a name ("last", "best"):
/// NAME-GGGGGG.safetensors holds the model's state dict (any safetensors reader
/// can use it), NAME-GGGGGG.train.safetensors the optimizer state and the EMA,
/// and NAME.json (<see cref="CheckpointManifest"/>) commits them with the
/// scalar state. Every file is written atomically (temporary, fsync, rename,
/// directory fsync), the tensor files first under a fresh generation number and
/// NAME.json last, so a kill at any moment leaves the previous checkpoint whole.
/// One writer per directory is assumed.
/// </summary>
public static class Checkpoint
{
    private const string OptimizerPrefix = "optimizer.", EmaPrefix = "ema.";

    public static string ManifestPath(string directory, string name) => Path.Combine(directory, name + ".json");

    public static bool Exists(string directory, string name) => File.Exists(ManifestPath(directory, name));

    /// <summary>The model weights file of the committed checkpoint (for evaluation or prediction).</summary>
    public static string ModelPath(string directory, string name)
    {
        var path = ManifestPath(directory, name);
        if (!File.Exists(path)) throw new FileNotFoundException($"No checkpoint '{name}' in {directory} (no {name}.json).", path);
        return Path.Combine(directory, CheckpointManifest.Parse(File.ReadAllBytes(path), path).Model.File);
    }

    /// <summary>The scalar state of the committed checkpoint, without reading its tensors (to check a run's recipe before loading).</summary>
    public static TrainingState ReadState(string directory, string name)
    {
        CheckName(name);
        var path = ManifestPath(directory, name);
        if (!File.Exists(path)) throw new FileNotFoundException($"No checkpoint '{name}' in {directory} (no {name}.json).", path);
        return CheckpointManifest.Parse(File.ReadAllBytes(path), path).State;
    }

    public static void Save(string directory, string name, Module model, TrainingState state, Optimizer? optimizer = null, ModelEma? ema = null) =>
        Save(directory, name, model, state, optimizer, ema, filter: null);

    /// <summary><paramref name="filter"/> wraps each file's stream (by file name): tests inject write failures with it.</summary>
    internal static void Save(string directory, string name, Module model, TrainingState state, Optimizer? optimizer, ModelEma? ema,
        Func<string, Stream, Stream>? filter)
    {
        CheckName(name);
        Directory.CreateDirectory(directory);
        RemoveStaleTemporaries(directory, name);
        long generation = NextGeneration(directory, name);
        var written = new List<string>();
        try
        {
            var modelEntry = WriteTensors(directory, $"{name}-{generation:D6}.safetensors", model.StateDict(), filter, written);
            FileEntry? trainEntry = null;
            if (optimizer is not null || ema is not null)
            {
                var train = new Dictionary<string, Tensor>();
                foreach (var (key, t) in optimizer?.StateTensors() ?? []) train[OptimizerPrefix + key] = t;
                foreach (var (key, t) in ema?.StateDict() ?? new Dictionary<string, Tensor>()) train[EmaPrefix + key] = t;
                trainEntry = WriteTensors(directory, $"{name}-{generation:D6}.train.safetensors", train, filter, written);
            }
            var manifest = new CheckpointManifest(CheckpointManifest.CurrentFormat, generation, modelEntry, trainEntry, optimizer?.Snapshot(), ema is not null, state);
            var json = manifest.ToJson();
            AtomicFile.Write(ManifestPath(directory, name), s => Filter(filter, name + ".json", s).Write(json));
        }
        catch
        {
            // A failure after NAME.json was renamed in (flushing the directory, say) leaves the new checkpoint committed.
            if (CommittedGeneration(directory, name) != generation)
                foreach (var f in written) TryDelete(f);
            throw;
        }
        RemoveOtherGenerations(directory, name, generation);
    }

    private static FileEntry WriteTensors(string directory, string file, IReadOnlyDictionary<string, Tensor> tensors,
        Func<string, Stream, Stream>? filter, List<string> written)
    {
        string path = Path.Combine(directory, file);
        long bytes = 0;
        string digest = "";
        // Listed before writing: a failure after the rename must still remove the file.
        written.Add(path);
        AtomicFile.Write(path, s =>
        {
            using var hashing = new HashingStream(Filter(filter, file, s));
            SafetensorsFile.WriteTo(hashing, tensors);
            bytes = hashing.BytesWritten;
            digest = hashing.HexDigest();
        });
        return new FileEntry(file, bytes, digest);
    }

    private static Stream Filter(Func<string, Stream, Stream>? filter, string file, Stream s) => filter is null ? s : filter(file, s);

    /// <summary>
    /// Loads a checkpoint into <paramref name="model"/> (and the optimizer and EMA when given) and returns its
    /// scalar state. Everything is read and checked (sizes, digests, names, shapes) before anything is copied,
    /// so a damaged checkpoint throws <see cref="InvalidDataException"/> and leaves the model as it was.
    /// </summary>
    public static TrainingState Load(string directory, string name, Module model, Optimizer? optimizer = null, ModelEma? ema = null)
    {
        CheckName(name);
        string manifestPath = ManifestPath(directory, name);
        if (!File.Exists(manifestPath)) throw new FileNotFoundException($"No checkpoint '{name}' in {directory} (no {name}.json).", manifestPath);
        var m = CheckpointManifest.Parse(File.ReadAllBytes(manifestPath), manifestPath);
        if (optimizer is not null && m.Optimizer is null) throw new InvalidDataException($"{manifestPath}: the checkpoint has no optimizer state to resume from.");
        if (ema is not null && !m.Ema) throw new InvalidDataException($"{manifestPath}: the checkpoint has no EMA weights.");
        foreach (var (key, value) in m.State.Rng)
            try { _ = Rng.FromState(value); }
            catch (FormatException e) { throw new InvalidDataException($"{manifestPath}: generator '{key}' has a bad state ({e.Message}).", e); }

        var modelFile = ReadVerified(directory, m.Model, manifestPath);
        SafetensorsFile? trainFile = null;
        if (optimizer is not null || ema is not null)
            trainFile = m.Train is null
                ? throw new InvalidDataException($"{manifestPath}: the checkpoint lists no optimizer/EMA tensor file.")
                : ReadVerified(directory, m.Train, manifestPath);

        using var scope = Tensor.Scope();
        var modelTensors = modelFile.Keys.ToDictionary(k => k, modelFile.Load);
        CheckModel(model, modelTensors, m.Model.File);
        var optimizerTensors = Section(trainFile, OptimizerPrefix);
        var emaTensors = Section(trainFile, EmaPrefix);
        optimizer?.ValidateState(m.Optimizer!, optimizerTensors);
        ema?.ValidateState(emaTensors);

        model.LoadStateDict(modelTensors);
        optimizer?.ApplyState(m.Optimizer!, optimizerTensors);
        ema?.ApplyState(emaTensors);
        return m.State;
    }

    private static SafetensorsFile ReadVerified(string directory, FileEntry entry, string manifestPath)
    {
        string path = Path.Combine(directory, entry.File);
        if (!File.Exists(path)) throw new InvalidDataException($"{manifestPath}: the checkpoint's file {entry.File} is missing.");
        var bytes = File.ReadAllBytes(path);
        if (bytes.Length != entry.Bytes)
            throw new InvalidDataException($"{path}: {bytes.Length} bytes, but the checkpoint recorded {entry.Bytes} (truncated or replaced).");
        if (Convert.ToHexStringLower(SHA256.HashData(bytes)) != entry.Sha256)
            throw new InvalidDataException($"{path}: the contents do not match the checkpoint's SHA-256 (the file is corrupt).");
        return SafetensorsFile.Parse(bytes, path);
    }

    private static void CheckModel(Module model, Dictionary<string, Tensor> tensors, string file)
    {
        var own = model.StateDict();
        var report = new LoadReport(own.Keys.Where(k => !tensors.ContainsKey(k)).ToList(), tensors.Keys.Where(k => !own.ContainsKey(k)).ToList());
        if (!report.IsComplete) throw new InvalidDataException($"{file} does not fit the model {model.GetType().Name}: {report}.");
        foreach (var (key, t) in own)
            if (tensors[key].Shape != t.Shape) throw new InvalidDataException($"{file}: '{key}' has shape {tensors[key].Shape}, but the model's is {t.Shape}.");
    }

    private static Dictionary<string, Tensor> Section(SafetensorsFile? file, string prefix) =>
        file?.Keys.Where(k => k.StartsWith(prefix, StringComparison.Ordinal)).ToDictionary(k => k[prefix.Length..], file.Load) ?? [];

    // ---------------------------------------------------------------- files of a name

    private static void CheckName(string name)
    {
        if (string.IsNullOrEmpty(name) || name.StartsWith('.') || name.IndexOfAny(['/', '\\']) >= 0 || name.Any(char.IsWhiteSpace))
            throw new ArgumentException($"'{name}' is not a valid checkpoint name (no slashes, spaces or leading dot).");
    }

    private static Regex GenerationFile(string name) => new($"^{Regex.Escape(name)}-(\\d{{6,}})(\\.train)?\\.safetensors$");

    private static IEnumerable<(string path, long generation)> GenerationFiles(string directory, string name)
    {
        var re = GenerationFile(name);
        foreach (var path in Directory.EnumerateFiles(directory, name + "-*.safetensors"))
            if (re.Match(Path.GetFileName(path)) is { Success: true } match && long.TryParse(match.Groups[1].Value, out long g))
                yield return (path, g);
    }

    /// <summary>Past the committed generation and past any file a killed save left, so no name is ever reused.</summary>
    private static long NextGeneration(string directory, string name)
    {
        long max = CommittedGeneration(directory, name);
        foreach (var (_, g) in GenerationFiles(directory, name)) max = Math.Max(max, g);
        return max + 1;
    }

    /// <summary>The generation NAME.json names, or 0 when there is none (or it cannot be read).</summary>
    private static long CommittedGeneration(string directory, string name)
    {
        var manifest = ManifestPath(directory, name);
        try { return CheckpointManifest.Parse(File.ReadAllBytes(manifest), manifest).Generation; }
        catch (Exception e) when (e is IOException or InvalidDataException or UnauthorizedAccessException) { return 0; }
    }

    private static void RemoveOtherGenerations(string directory, string name, long keep)
    {
        foreach (var (path, g) in GenerationFiles(directory, name).ToList())
            if (g != keep) TryDelete(path);
    }

    /// <summary>AtomicFile's temporaries for this name's files, left by a save that was killed.</summary>
    private static void RemoveStaleTemporaries(string directory, string name)
    {
        var re = new Regex($"^\\.{Regex.Escape(name)}(-\\d{{6,}}(\\.train)?\\.safetensors|\\.json)\\.\\d+\\.[0-9a-f]{{32}}\\.tmp$");
        foreach (var path in Directory.EnumerateFiles(directory, "." + name + "*.tmp").ToList())
            if (re.IsMatch(Path.GetFileName(path))) TryDelete(path);
    }

    private static void TryDelete(string path)
    {
        try { File.Delete(path); }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
    }
}
