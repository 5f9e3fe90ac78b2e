using ContextNets.NN;

namespace ContextNets.Models;

/// <summary>What the basic and bottleneck blocks share: the shortcut, the sum and ReLU, and the hook modules.</summary>
public abstract class ResidualBlock : Module
{
    private Sequential? _downsample;
    private Module? _nonLocal;

    /// <summary>The projection shortcut (`downsample`), or null for the identity.</summary>
    public Sequential? Downsample => _downsample;

    /// <summary>The module after the block's output (`non_local_block`), if any.</summary>
    public Module? AfterBlock => _nonLocal;

    protected Module? RegisterHook(string name, BlockHook? hook, BlockSite site) =>
        hook?.Invoke(site) is { } module ? Register(name, module) : null;

    /// <summary>Registers the shortcut and then the after-block hook, in timm's key order.</summary>
    protected void RegisterShortcutAndAfter(Sequential? downsample, BlockHook? after, BlockSite site)
    {
        if (downsample is not null) _downsample = Register("downsample", downsample);
        _nonLocal = RegisterHook("non_local_block", after, site);
    }

    /// <summary>ReLU(branch + shortcut(x)), then the after-block module.</summary>
    protected Tensor Merge(Tensor branch, Tensor x)
    {
        var y = F.Relu(F.Add(branch, _downsample?.Forward(x) ?? x));
        return _nonLocal?.Forward(y) ?? y;
    }
}
