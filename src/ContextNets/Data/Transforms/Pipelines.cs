using ContextNets.Data.Augment;

namespace ContextNets.Data.Transforms;

/// <summary>Which policy, if any, follows the crop and flip of a training pipeline.</summary>
public enum AutoPolicy
{
    None,
    AutoAugment,
    RandAugment,
}

/// <summary>The usual pipelines, so that a trainer or the CLI names a recipe instead of assembling it.</summary>
public static class Pipelines
{
    /// <summary>Fashion-MNIST training: random crop 28 with padding 4 and a horizontal flip, then the policy.</summary>
    public static IImageTransform FashionMnistTrain(AutoPolicy policy = AutoPolicy.None) =>
        WithPolicy([new RandomCrop(28, padding: 4), new RandomHorizontalFlip()], policy);

    public static Normalize FashionMnistNormalize { get; } = new([FashionMnist.Mean], [FashionMnist.Std]);

    /// <summary>ImageNet-style training: RandomResizedCrop(size) and a horizontal flip, then the policy.</summary>
    public static IImageTransform ImageNetTrain(int size = 224, AutoPolicy policy = AutoPolicy.None) =>
        WithPolicy([new RandomResizedCrop(size), new RandomHorizontalFlip()], policy);

    /// <summary>ImageNet-style evaluation: the shorter side to size / 0.875 (256 for 224), then a center crop.</summary>
    public static IImageTransform ImageNetEval(int size = 224) =>
        new Compose(Resize.ToShorterSide((int)Math.Floor(size / 0.875)), new CenterCrop(size));

    private static Compose WithPolicy(List<IImageTransform> steps, AutoPolicy policy)
    {
        if (policy == AutoPolicy.AutoAugment) steps.Add(new AutoAugment());
        else if (policy == AutoPolicy.RandAugment) steps.Add(new RandAugment());
        return new Compose([.. steps]);
    }
}
