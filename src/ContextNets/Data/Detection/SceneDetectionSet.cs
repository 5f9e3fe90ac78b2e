using ContextNets.Data.Scenes;
using ContextNets.Detection.Training;

namespace ContextNets.Data.Detection;

/// <summary>
/// Generated scenes (<see cref="SceneSet"/>) as a detection set: each visible item is an object with its tight box,
/// its visible mask, and label 1 + its Fashion-MNIST class (so 11 classes with the background). Deterministic: the
/// set's seed and an index decide each example.
/// </summary>
public sealed class SceneDetectionSet(SceneSet scenes) : IDetectionSet
{
    public int Count => scenes.Count;

    public IReadOnlyList<string> ClassNames => Scene.SemanticClasses;

    public DetectionExample this[int index]
    {
        get
        {
            var scene = scenes[index];
            int side = scene.Size, plane = side * side;
            var items = scene.Items;
            var boxes = new float[4 * items.Count];
            var masks = new byte[items.Count * plane];
            for (int i = 0; i < items.Count; i++)
            {
                var item = items[i];
                (boxes[4 * i], boxes[4 * i + 1], boxes[4 * i + 2], boxes[4 * i + 3]) = (item.X1, item.Y1, item.X2, item.Y2);
                item.Mask.CopyTo(masks, i * plane);
            }
            return new DetectionExample(scene.Image, new DetectionTarget(boxes, [.. items.Select(item => item.Label + 1)], masks, side, side));
        }
    }
}
