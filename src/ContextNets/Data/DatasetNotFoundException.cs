namespace ContextNets.Data;

/// <summary>A dataset's files are not where they were looked for; the message says where, and which package installs them.</summary>
public sealed class DatasetNotFoundException(string message, string? package) : FileNotFoundException(message)
{
    /// <summary>The Debian package that installs the dataset, if there is one.</summary>
    public string? Package { get; } = package;
}
