namespace ContextNets.Attention;

/// <summary>
/// The attention blocks the library knows, by the short name the test vectors and saved runs give them, each built
/// from its JSON config. This table is the one place outside a block's folder that names the block: everything else
/// finds what it needs through <see cref="IBlockFacets"/>.
/// </summary>
public static class Blocks
{
    private static readonly (string name, Type type, Func<BlockConfig, NN.Module> build)[] Registered =
    [
        ("gc", typeof(GlobalContext), GlobalContext.FromConfig),
        ("snl", typeof(SimplifiedNonLocal), SimplifiedNonLocal.FromConfig),
        ("se", typeof(SqueezeExcite), SqueezeExcite.FromConfig),
        ("splat", typeof(SplitAttention), SplitAttention.FromConfig),
        ("sk", typeof(SelectiveKernel), SelectiveKernel.FromConfig),
        ("nl", typeof(NonLocal), NonLocal.FromConfig),
        ("cca", typeof(CrissCross), CrissCross.FromConfig),
    ];

    /// <summary>The class names of the registered blocks, for messages.</summary>
    internal static string Names => string.Join(", ", Registered.Select(r => r.type.Name));

    public static NN.Module FromConfig(string block, string json)
    {
        var config = new BlockConfig(block, json);
        var build = Registered.FirstOrDefault(r => r.name == block).build
            ?? throw new ArgumentException($"Unknown block kind '{block}'; ContextNets knows: {string.Join(", ", Registered.Select(r => r.name))}.");
        var module = build(config);
        try
        {
            config.EnsureAllUsed();
        }
        catch
        {
            module.Dispose();
            throw;
        }
        return module;
    }
}
