namespace ContextNets.Tests.Data.Detection;

/// <summary>A small, valid COCO instances file: two images, three categories, polygons, RLE, a box-only object and a crowd.</summary>
internal static class CocoSample
{
    public const string Json = """
        {
          "images": [
            {"id": 7, "file_name": "a.png", "width": 8, "height": 6},
            {"id": 9, "file_name": "b.png", "width": 5, "height": 4}
          ],
          "categories": [{"id": 3, "name": "cat"}, {"id": 1, "name": "dog"}, {"id": 12, "name": "bird"}],
          "annotations": [
            {"id": 1, "image_id": 7, "category_id": 1, "bbox": [1, 1, 4, 3], "segmentation": [[1, 1, 5, 1, 5, 4, 1, 4]], "iscrowd": 0},
            {"id": 2, "image_id": 7, "category_id": 12, "bbox": [6, 0, 4, 2], "iscrowd": 0},
            {"id": 3, "image_id": 9, "category_id": 3, "bbox": [0, 0, 2, 2], "segmentation": {"size": [4, 5], "counts": [0, 2, 2, 2, 14]}},
            {"id": 4, "image_id": 9, "category_id": 3, "bbox": [0, 0, 5, 4], "segmentation": {"size": [4, 5], "counts": [0, 20]}, "iscrowd": 1}
          ]
        }
        """;
}
