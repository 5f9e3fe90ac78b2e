using System.Text.Json;
using System.Text.Json.Serialization;

namespace ContextNets.Training;

/// <summary>
/// NAME.json: the commit record of a checkpoint. It names the tensor files of
/// its generation with their sizes and SHA-256 digests; it is written last, so
/// that the checkpoint on disk changes at the single moment it is renamed into place.
/// </summary>
internal sealed record CheckpointManifest(
    string Format,
    long Generation,
    FileEntry Model,
    FileEntry? Train,
    OptimizerSnapshot? Optimizer,
    bool Ema,
    TrainingState State)
{
    public const string CurrentFormat = "contextnets.checkpoint/1";

    public static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };

    public byte[] ToJson() => JsonSerializer.SerializeToUtf8Bytes(this, Json);

    public static CheckpointManifest Parse(byte[] bytes, string path)
    {
        CheckpointManifest? m;
        try { m = JsonSerializer.Deserialize<CheckpointManifest>(bytes, Json); }
        catch (JsonException e) { throw new InvalidDataException($"{path}: the checkpoint record is not valid JSON ({e.Message}); the file is damaged.", e); }
        if (m is null || m.Model is null || m.State is null || m.State.Rng is null || m.State.Metrics is null || m.Optimizer is { Steps: null } || m.Optimizer is { Kind: null })
            throw new InvalidDataException($"{path}: the checkpoint record lacks its model file, its state or part of them.");
        if (m.Format != CurrentFormat) throw new InvalidDataException($"{path}: checkpoint format '{m.Format}' is not '{CurrentFormat}'.");
        foreach (var f in new[] { m.Model, m.Train })
            if (f is not null && (string.IsNullOrEmpty(f.File) || Path.GetFileName(f.File) != f.File || f.Bytes < 0 || f.Sha256 is not { Length: 64 }))
                throw new InvalidDataException($"{path}: the checkpoint record has a malformed file entry ({f}).");
        return m;
    }
}

/// <summary>A file of the checkpoint, beside NAME.json.</summary>
internal sealed record FileEntry(string File, long Bytes, string Sha256);
