namespace ContextNets.Tests.Support;

/// <summary>Tests that read the buffer pool's global counters run alone, so that no other test allocates meanwhile.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class PoolCollection
{
    public const string Name = "buffer pool counters";
}
