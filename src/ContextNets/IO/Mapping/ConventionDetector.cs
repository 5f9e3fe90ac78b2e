using System.Text.RegularExpressions;

namespace ContextNets.IO.Mapping;

/// <summary>
/// Tells the key convention from the keys: any key with a name only OpenMMLab uses makes it <see cref="KeyConvention.Mmcv"/>,
/// otherwise it is <see cref="KeyConvention.Timm"/> (the official ResNeSt names are timm's, so they need no telling).
/// </summary>
public static partial class ConventionDetector
{
    /// <summary>The convention and the key that decided it (null when nothing did).</summary>
    public static (KeyConvention convention, string? evidence) Detect(IEnumerable<string> keys)
    {
        foreach (string key in keys)
            if (MmcvMarker().IsMatch(key)) return (KeyConvention.Mmcv, key);
        return (KeyConvention.Timm, null);
    }

    [GeneratedRegex("(^|\\.)(conv_mask|channel_add_conv|channel_mul_conv|context_block|nonlocal_block)\\.|(^|\\.)(g|theta|phi|conv_out|concat_project)\\.(0\\.)?conv\\.|^backbone\\.|^stem\\.\\d+\\.|^head\\.fc\\.")]
    private static partial Regex MmcvMarker();
}
