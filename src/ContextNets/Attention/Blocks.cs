namespace ContextNets.Attention;

/// <summary>Builds an attention block by its kind and JSON config, as the test vectors and saved runs name them.</summary>
public static class Blocks
{
    public static NN.Module FromConfig(string block, string json)
    {
        var config = new BlockConfig(block, json);
        NN.Module module = block switch
        {
            "gc" => GlobalContext.FromConfig(config),
            "snl" => SimplifiedNonLocal.FromConfig(config),
            "se" => SqueezeExcite.FromConfig(config),
            "splat" => SplitAttention.FromConfig(config),
            "sk" => SelectiveKernel.FromConfig(config),
            "nl" => NonLocal.FromConfig(config),
            "cca" => CrissCross.FromConfig(config),
            _ => throw new ArgumentException($"Unknown block kind '{block}'; ContextNets knows: gc, snl, se, nl, splat, sk."),
        };
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
