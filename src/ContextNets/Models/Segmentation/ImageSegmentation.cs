using ContextNets.Autograd;
using ContextNets.Data;
using ContextNets.Data.Segmentation;
using ContextNets.Data.Transforms;

namespace ContextNets.Models.Segmentation;

/// <summary>
/// One image through a segmenter: resized to the square side the segmenter was trained at, normalized, the class map
/// by arg-max, brought back to the image's size by nearest neighbour; and a colour overlay of the map on the image.
/// Every tensor lives in the call's scope, so that many calls leave no memory behind.
/// </summary>
public static class ImageSegmentation
{
    /// <summary>The class of every pixel of <paramref name="image"/> (row-major, the image's size); the model must be in eval mode.</summary>
    public static byte[] ClassMap(Segmenter model, Image8 image, int side, Normalize normalize)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(image);
        if (model.Classes > 255) throw new ArgumentException($"A class map holds up to 255 classes in bytes, the model has {model.Classes}.");
        var resized = Resize.Run(image, side, side);
        using var noGrad = GradMode.NoGrad();
        using var scope = Tensor.Scope();
        var (input, _) = SegmentationBatch.Make([new LabeledImage(resized, new byte[side * side])], normalize);
        var map = Array.ConvertAll(ClassMaps.ArgMax(model.Forward(input)), c => (byte)c);
        return SegmentationAugment.NearestLabels(map, side, side, image.Width, image.Height);
    }

    /// <summary>
    /// The image with each pixel's class colour blended in at <paramref name="opacity"/>; background (class 0) is left
    /// as it is, so that the objects stand out.
    /// </summary>
    public static Image8 Overlay(Image8 image, byte[] classMap, double opacity = 0.55)
    {
        ArgumentNullException.ThrowIfNull(image);
        if (classMap.Length != image.Width * image.Height)
            throw new ArgumentException($"A class map of {classMap.Length} pixels does not fit a {image.Width}x{image.Height} image.");
        var result = new Image8(image.Width, image.Height, 3);
        for (int i = 0; i < classMap.Length; i++)
        {
            var colour = Colour(classMap[i]);
            for (int c = 0; c < 3; c++)
            {
                byte v = image.Pixels[i * image.Channels + (image.Channels == 3 ? c : 0)];
                result.Pixels[i * 3 + c] = classMap[i] == 0 ? v : (byte)Math.Round((1 - opacity) * v + opacity * colour[c]);
            }
        }
        return result;
    }

    /// <summary>PASCAL VOC's colour map: the bits of the class index spread over the high bits of R, G and B.</summary>
    public static byte[] Colour(int label)
    {
        int r = 0, g = 0, b = 0;
        for (int shift = 7; shift >= 0 && label > 0; shift--, label >>= 3)
        {
            r |= (label & 1) << shift;
            g |= ((label >> 1) & 1) << shift;
            b |= ((label >> 2) & 1) << shift;
        }
        return [(byte)r, (byte)g, (byte)b];
    }
}
