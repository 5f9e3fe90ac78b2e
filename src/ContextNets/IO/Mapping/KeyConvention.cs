namespace ContextNets.IO.Mapping;

/// <summary>The naming scheme of a checkpoint's keys, which decides how they are rewritten into the model's.</summary>
public enum KeyConvention
{
    /// <summary>Chosen from the keys themselves (<see cref="ConventionDetector"/>).</summary>
    Auto,

    /// <summary>timm's and torchvision's names, which are the models' own; only a DataParallel `module.` prefix is dropped.</summary>
    Timm,

    /// <summary>
    /// OpenMMLab (mmcv, mmdet, mmcls/mmpretrain, mmaction2): ContextBlock and NonLocal2d inside, their plugin names in
    /// mmdet's ResNets, the `backbone.` prefix, the ResNetV1d stem and the linear head.
    /// </summary>
    Mmcv,

    /// <summary>
    /// The official ResNeSt checkpoints (zhanghang1989/ResNeSt, torch): timm kept their names when it ported them,
    /// so this is <see cref="Timm"/>'s table under the name a user will look for.
    /// </summary>
    ResNeSt,
}

public static class KeyConventions
{
    public static readonly IReadOnlyList<string> Names = ["auto", "timm", "mmcv", "resnest"];

    public static string Name(KeyConvention c) => Names[(int)c];

    public static KeyConvention Parse(string name)
    {
        int i = Names.ToList().IndexOf(name?.ToLowerInvariant() ?? "");
        return i >= 0 ? (KeyConvention)i : throw new ArgumentException($"Unknown key convention '{name}'; use one of {string.Join(", ", Names)}.");
    }
}
