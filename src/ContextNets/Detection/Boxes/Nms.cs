namespace ContextNets.Detection.Boxes;

/// <summary>
/// Non-maximum suppression as torchvision.ops.nms and batched_nms: boxes in descending score order suppress every
/// later box whose IoU with them exceeds the threshold. Equal scores keep their input order (a stable sort), which
/// is what torchvision's CPU sort gives on the inputs our tests make; its docs leave ties unspecified.
/// </summary>
public static class Nms
{
    /// <summary>The indices of the kept boxes, by decreasing score.</summary>
    public static List<int> Run(ReadOnlySpan<float> boxes, ReadOnlySpan<float> scores, float iouThreshold) =>
        Batched(boxes, scores, null, iouThreshold);

    /// <summary>
    /// NMS within each group (class or level) independently: boxes of different groups never suppress each other.
    /// The result is ordered by decreasing score over all groups, as torchvision's batched_nms returns it.
    /// </summary>
    public static List<int> Batched(ReadOnlySpan<float> boxes, ReadOnlySpan<float> scores, ReadOnlySpan<int> groups, float iouThreshold)
    {
        int n = BoxOps.Count(boxes);
        if (scores.Length != n || (!groups.IsEmpty && groups.Length != n))
            throw new ArgumentException($"nms: {n} boxes, {scores.Length} scores and {groups.Length} group ids must agree.");
        var order = DescendingOrder(scores);
        var suppressed = new bool[n];
        var keep = new List<int>();
        for (int a = 0; a < n; a++)
        {
            int i = order[a];
            if (suppressed[i]) continue;
            keep.Add(i);
            for (int b = a + 1; b < n; b++)
            {
                int j = order[b];
                if (!suppressed[j] && (groups.IsEmpty || groups[j] == groups[i]) && BoxOps.Iou(boxes, i, boxes, j) > iouThreshold)
                    suppressed[j] = true;
            }
        }
        return keep;
    }

    /// <summary>Indices sorted by decreasing score, ties in index order.</summary>
    public static int[] DescendingOrder(ReadOnlySpan<float> scores)
    {
        var order = Enumerable.Range(0, scores.Length).ToArray();
        var copy = scores.ToArray();
        Array.Sort(order, (a, b) => copy[b].CompareTo(copy[a]) is var c && c != 0 ? c : a.CompareTo(b));
        return order;
    }
}
