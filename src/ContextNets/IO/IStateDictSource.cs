namespace ContextNets.IO;

/// <summary>
/// Named tensors in a file, read one at a time: a safetensors file (<see cref="SafetensorsFile"/>) or a torch.save
/// file (<see cref="Torch.TorchCheckpoint"/>). Keys keep the file's order; Load converts to float32.
/// </summary>
public interface IStateDictSource
{
    IEnumerable<string> Keys { get; }

    bool Contains(string key);

    Shape ShapeOf(string key);

    /// <summary>The stored element type: F32, F16, BF16, F64, I64 (or I32 in safetensors).</summary>
    string DTypeOf(string key);

    /// <summary>A new float32 tensor, owned by the caller.</summary>
    Tensor Load(string key);
}
