using ContextNets.IO.Torch;

namespace ContextNets.IO;

/// <summary>
/// Opens a file of named tensors by what its first bytes say it is, whatever its extension: a zip
/// (`PK\x03\x04`, or `PK\x05\x06` when empty) or the legacy magic pickle is torch.save's format
/// (<see cref="TorchCheckpoint"/>); anything else is read as safetensors, which explains itself if it is not.
/// </summary>
public static class StateDictFiles
{
    public static IStateDictSource Open(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"No weights file at {path}.", path);
        Span<byte> head = stackalloc byte[4];
        int n;
        using (var f = File.OpenRead(path)) n = f.ReadAtLeast(head, head.Length, throwOnEndOfStream: false);
        return IsTorch(head[..n]) ? TorchCheckpoint.Open(path) : SafetensorsFile.Read(path);
    }

    /// <summary>What kind of file a source is, for messages: "torch.save zip, state dict under 'state_dict'", "safetensors", ...</summary>
    public static string Describe(IStateDictSource source) => source switch
    {
        TorchCheckpoint t => (t.IsLegacyFormat ? "torch.save, legacy format" : "torch.save zip") +
            (t.StateDictPath.Length > 0 ? $", state dict under '{t.StateDictPath}'" : "") +
            (t.SkippedKeys.Count > 0 ? $", {t.SkippedKeys.Count} entries that are not tensors set aside" : ""),
        _ => "safetensors",
    };

    private static bool IsTorch(ReadOnlySpan<byte> head) =>
        head.StartsWith("PK\x03\x04"u8) || head.StartsWith("PK\x05\x06"u8) || TorchLegacyFile.LooksLike(head);
}
