namespace ContextNets.Tests.Support;

/// <summary>
/// The test tiers, as xunit traits. Classes that run something outside .NET (Debian's PyTorch or onnx through
/// python3, the C compiler, Open MPI) carry <c>[Trait(Tier.Key, Tier.External)]</c>; `./test --quick`
/// runs everything else (filter <c>Tier!=external</c>) and installs none of what those need. `./test` runs both.
/// </summary>
internal static class Tier
{
    public const string Key = "Tier";
    public const string External = "external";
}
