namespace ContextNets;

/// <summary>A native library the engine needs is missing; the message names the Debian package.</summary>
public sealed class NativeDependencyException(string message, Exception? inner = null) : Exception(message, inner);
