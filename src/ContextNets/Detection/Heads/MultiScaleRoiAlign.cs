using ContextNets.Detection.Boxes;

namespace ContextNets.Detection.Heads;

/// <summary>
/// torchvision's MultiScaleRoIAlign over the FPN levels "0".."3": each box is pooled (RoIAlign, aligned false) from
/// the level the FPN paper's rule picks for its size (<see cref="LevelMapper"/>), at that level's power-of-two scale
/// measured against the largest unpadded image of the batch. Boxes come in per image; the result keeps that order.
/// </summary>
public sealed class MultiScaleRoiAlign(int outputSize, int samplingRatio = 2)
{
    public int OutputSize => outputSize;
    public int SamplingRatio => samplingRatio;

    /// <summary>Pooled features [K, C, size, size] for the boxes of every image, image by image.</summary>
    public Tensor Pool(IReadOnlyList<Tensor> levels, IReadOnlyList<float[]> boxes, IReadOnlyList<(int h, int w)> imageSizes)
    {
        int imageH = imageSizes.Max(s => s.h);
        var scales = levels.Select(l => LevelMapper.Scale(l.Shape[2], imageH)).ToArray();
        var mapper = LevelMapper.FromScales(scales);
        var all = boxes.SelectMany(b => b).ToArray();
        int total = BoxOps.Count(all);
        var rois = new List<float>[levels.Count];
        var members = new List<int>[levels.Count];
        for (int l = 0; l < levels.Count; l++) (rois[l], members[l]) = ([], []);
        int index = 0;
        for (int n = 0; n < boxes.Count; n++)
            for (int i = 0; i < BoxOps.Count(boxes[n]); i++, index++)
            {
                int level = levels.Count == 1 ? 0 : mapper.Map(all, index);
                rois[level].Add(n);
                rois[level].AddRange(boxes[n].AsSpan(4 * i, 4).ToArray());
                members[level].Add(index);
            }
        var pooled = new List<Tensor>();
        var order = new int[total];
        int position = 0;
        for (int l = 0; l < levels.Count; l++)
        {
            if (members[l].Count == 0) continue;
            var r = Tensor.FromArray(rois[l].ToArray(), members[l].Count, 5);
            pooled.Add(F.RoiAlign(levels[l], r, (outputSize, outputSize), scales[l], samplingRatio));
            foreach (int m in members[l]) order[m] = position++;
        }
        int channels = levels[0].Shape[1];
        if (pooled.Count == 0) return Tensor.Zeros([0, channels, outputSize, outputSize]);
        var stacked = pooled.Count == 1 ? pooled[0] : F.Cat(pooled, 0);
        return F.IndexRows(stacked, order);
    }
}
