namespace ContextNets.Data.Transforms;

/// <summary>
/// Gives every image <see cref="Channels"/> channels (gray to RGB repeats the value; RGB to gray is PIL's luma), as
/// torchvision's Grayscale(num_output_channels=3) does for a gray dataset fed to a network pretrained on colour.
/// </summary>
public sealed class ToChannels(int channels) : IImageTransform
{
    public int Channels { get; } = channels is 1 or 3 ? channels : throw new ArgumentException($"An image has 1 or 3 channels, not {channels}.");

    public Image8 Apply(Image8 image, Rng rng) => image.WithChannels(Channels);

    public override string ToString() => $"ToChannels({Channels})";
}
