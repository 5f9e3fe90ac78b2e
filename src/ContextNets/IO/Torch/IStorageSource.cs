namespace ContextNets.IO.Torch;

/// <summary>Where a pickle's storages live: the members of a zip (<see cref="TorchArchive"/>) or the tail of a legacy file (<see cref="TorchLegacyFile"/>).</summary>
internal interface IStorageSource
{
    /// <summary>A persistent id tuple to its storage, checked against the file.</summary>
    TorchStorage Resolve(PyTuple pid, string where);

    /// <summary>Every byte of a storage.</summary>
    ReadOnlyMemory<byte> ReadStorage(TorchStorage storage);
}
