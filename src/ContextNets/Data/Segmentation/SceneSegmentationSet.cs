using ContextNets.Data.Scenes;

namespace ContextNets.Data.Segmentation;

/// <summary>The generated scenes as a segmentation set: the RGB canvas and its semantic map (0 background, 1..10 the Fashion-MNIST classes).</summary>
public sealed class SceneSegmentationSet(SceneSet scenes) : ISegmentationSet
{
    public int Count => scenes.Count;
    public IReadOnlyList<string> Classes => Scene.SemanticClasses;

    public LabeledImage this[int index]
    {
        get
        {
            var scene = scenes[index];
            return new LabeledImage(scene.Image, scene.Semantic);
        }
    }
}
