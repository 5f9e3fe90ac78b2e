using ContextNets.Detection.Training;

namespace ContextNets.Data.Detection;

/// <summary>
/// A COCO-format detection set: an instances JSON (<see cref="CocoIndex"/>) and the folder its file names are
/// relative to. Opening checks the JSON whole and that every image file exists; an image whose pixels turn out not
/// to be its entry's width and height is refused when read. Objects whose mask is empty once rasterized keep their
/// box and take the box as their mask.
/// </summary>
public sealed class CocoDetectionSet : IDetectionSet
{
    private readonly CocoIndex _index;
    private readonly string _imageDir;

    private CocoDetectionSet(CocoIndex index, string imageDir) => (_index, _imageDir) = (index, imageDir);

    public static CocoDetectionSet Open(string annotations, string imageDir)
    {
        var index = CocoIndex.Read(annotations);
        if (!Directory.Exists(imageDir)) throw new InvalidDataException($"{imageDir}: the image folder does not exist.");
        if (index.Images.Count == 0) throw new InvalidDataException($"{annotations}: the file lists no images.");
        var missing = index.Images.Where(i => !File.Exists(Path.Combine(imageDir, i.FileName))).ToList();
        if (missing.Count > 0)
            throw new InvalidDataException($"{annotations}: {missing.Count} image file(s) missing from {imageDir}, the first '{missing[0].FileName}' (image id {missing[0].Id}).");
        return new CocoDetectionSet(index, imageDir);
    }

    public int Count => _index.Images.Count;

    public IReadOnlyList<string> ClassNames => _index.ClassNames;

    public DetectionExample this[int index]
    {
        get
        {
            var entry = _index.Images[index];
            string path = Path.Combine(_imageDir, entry.FileName);
            var image = ImageDecoder.Load(path);
            if (image.Width != entry.Width || image.Height != entry.Height)
                throw new InvalidDataException($"{path}: the image is {image.Width}x{image.Height}, but its entry (id {entry.Id}) says {entry.Width}x{entry.Height}.");
            var objects = _index.ObjectsOf(entry.Id);
            int plane = entry.Width * entry.Height;
            var boxes = new float[4 * objects.Count];
            var masks = new byte[objects.Count * plane];
            for (int i = 0; i < objects.Count; i++)
            {
                var o = objects[i];
                (boxes[4 * i], boxes[4 * i + 1], boxes[4 * i + 2], boxes[4 * i + 3]) = (o.X1, o.Y1, o.X2, o.Y2);
                var mask = o.Shape.Rasterize(entry.Height, entry.Width, o.X1, o.Y1, o.X2, o.Y2);
                if (!mask.Contains((byte)1)) mask = CocoShape.None.Rasterize(entry.Height, entry.Width, o.X1, o.Y1, o.X2, o.Y2);
                mask.CopyTo(masks, i * plane);
            }
            return new DetectionExample(image, new DetectionTarget(boxes, [.. objects.Select(o => o.Label)], masks, entry.Height, entry.Width));
        }
    }
}
