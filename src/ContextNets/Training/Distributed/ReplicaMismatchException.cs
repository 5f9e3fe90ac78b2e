namespace ContextNets.Training.Distributed;

/// <summary>The ranks of a job do not agree on something that must be the same everywhere; every rank raises it.</summary>
public sealed class ReplicaMismatchException(string message) : Exception(message);
