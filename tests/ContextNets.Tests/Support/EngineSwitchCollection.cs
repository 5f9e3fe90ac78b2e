namespace ContextNets.Tests.Support;

/// <summary>
/// Tests that switch an engine-wide setting (Winograd, bf16 convolutions) run alone, so that no other test's kernels
/// see it: a bit-identical resume running beside a Winograd switch once computed with both algorithms.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class EngineSwitchCollection
{
    public const string Name = "engine-wide switches";
}
