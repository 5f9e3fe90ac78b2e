using System.Text.Json;

namespace ContextNets.Data.Detection;

/// <summary>One image entry of a COCO instances file.</summary>
public sealed record CocoImage(long Id, string FileName, int Width, int Height);

/// <summary>One object: its label (1..K, the categories in file order), its box clipped to the image (x1, y1, x2, y2), and its outline.</summary>
public sealed record CocoObject(int Label, float X1, float Y1, float X2, float Y2, CocoShape Shape);

/// <summary>
/// A COCO instances JSON (images, annotations, categories), read with System.Text.Json and checked whole before use:
/// unique ids, annotations naming known images and categories, finite boxes [x, y, w, h] with positive sides that
/// overlap their image, and segmentations that are polygons or uncompressed RLE of the image's size. Crowd
/// annotations (iscrowd 1) are skipped, as torchvision's reference training drops them. Every fault is an
/// <see cref="InvalidDataException"/> of one line naming the source and the entry.
/// </summary>
public sealed class CocoIndex
{
    private CocoIndex(List<CocoImage> images, List<string> classNames, Dictionary<long, List<CocoObject>> objects)
    {
        Images = images;
        ClassNames = classNames;
        _objects = objects;
    }

    private readonly Dictionary<long, List<CocoObject>> _objects;

    public IReadOnlyList<CocoImage> Images { get; }

    /// <summary>"background", then the category names in file order (label i is the i-th category).</summary>
    public IReadOnlyList<string> ClassNames { get; }

    /// <summary>The non-crowd objects of an image, in file order.</summary>
    public IReadOnlyList<CocoObject> ObjectsOf(long imageId) => _objects.TryGetValue(imageId, out var list) ? list : [];

    public static CocoIndex Read(string path)
    {
        string text;
        try
        {
            text = File.ReadAllText(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new InvalidDataException($"{path}: cannot be read ({e.Message})");
        }
        return Parse(text, path);
    }

    /// <summary>Parses instances JSON <paramref name="json"/>; <paramref name="source"/> names it in errors.</summary>
    public static CocoIndex Parse(string json, string source)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(json, new JsonDocumentOptions { MaxDepth = 16 });
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{source}: not valid JSON (line {e.LineNumber + 1}, byte {e.BytePositionInLine + 1}).");
        }
        using (document)
        {
            var read = new CocoReader(source);
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object) throw read.Fail("the top level must be an object with images, annotations and categories");
            var images = new List<CocoImage>();
            var imageById = new Dictionary<long, CocoImage>();
            foreach (var (e, i) in read.Array(root, "images", required: true))
            {
                var image = new CocoImage(read.Id(e, "id", $"images[{i}]"), read.String(e, "file_name", $"images[{i}]"),
                    read.Size(e, "width", $"images[{i}]"), read.Size(e, "height", $"images[{i}]"));
                if (!imageById.TryAdd(image.Id, image)) throw read.Fail($"images[{i}]: the id {image.Id} is used twice");
                images.Add(image);
            }
            var names = new List<string> { "background" };
            var labelOf = new Dictionary<long, int>();
            foreach (var (e, i) in read.Array(root, "categories", required: true))
            {
                long id = read.Id(e, "id", $"categories[{i}]");
                if (!labelOf.TryAdd(id, names.Count)) throw read.Fail($"categories[{i}]: the id {id} is used twice");
                names.Add(read.String(e, "name", $"categories[{i}]"));
            }
            var objects = new Dictionary<long, List<CocoObject>>();
            foreach (var (e, i) in read.Array(root, "annotations", required: false))
            {
                string where = $"annotations[{i}]";
                long imageId = read.Id(e, "image_id", where), categoryId = read.Id(e, "category_id", where);
                if (!imageById.TryGetValue(imageId, out var image)) throw read.Fail($"{where}: image_id {imageId} is not among the images");
                if (!labelOf.TryGetValue(categoryId, out int label)) throw read.Fail($"{where}: category_id {categoryId} is not among the categories");
                if (read.Crowd(e, where)) continue;
                var (x1, y1, x2, y2) = read.Box(e, where, image);
                var shape = read.Shape(e, where, image);
                if (!objects.TryGetValue(imageId, out var list)) objects[imageId] = list = [];
                list.Add(new CocoObject(label, x1, y1, x2, y2, shape));
            }
            return new CocoIndex(images, names, objects);
        }
    }
}
