namespace ContextNets.IO.Torch;

/// <summary>
/// The one error this reader throws for a bad file: an <see cref="InvalidDataException"/> (as for safetensors)
/// whose message names the file and what was refused and where: the zip member, or the opcode and its byte
/// offset in data.pkl. A damaged or truncated zip, an opcode or global outside the allowed few, sizes or offsets
/// that do not fit the file all end here.
/// </summary>
internal static class TorchFormat
{
    public static InvalidDataException Error(string message) => new(message);
}
