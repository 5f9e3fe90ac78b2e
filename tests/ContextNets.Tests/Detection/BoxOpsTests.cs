using ContextNets.Detection.Boxes;

namespace ContextNets.Tests.Detection;

/// <summary>The box utilities on hand-worked cases: IoU, NMS (plain and per group), the box coder, anchors and level mapping.</summary>
public class BoxOpsTests
{
    [Fact]
    public void IouOfOverlappingSquaresIsTheSharedAreaOverTheUnion()
    {
        // [0,0,2,2] and [1,1,3,3] share a 1x1 square: 1 / (4 + 4 - 1).
        Assert.Equal(1f / 7f, BoxOps.Iou([0, 0, 2, 2], 0, [1, 1, 3, 3], 0), 6);
        Assert.Equal(0f, BoxOps.Iou([0, 0, 1, 1], 0, [2, 2, 3, 3], 0));
        Assert.Equal(0f, BoxOps.Iou([1, 1, 1, 1], 0, [1, 1, 1, 1], 0));
    }

    [Fact]
    public void NmsKeepsTheBestOfEachOverlappingGroupInScoreOrder()
    {
        float[] boxes = [0, 0, 10, 10, 1, 1, 11, 11, 20, 20, 30, 30, 0, 0, 10, 9];
        float[] scores = [0.9f, 0.8f, 0.7f, 0.95f];
        // Box 3 (0.95) overlaps boxes 0 (IoU 0.9) and 1; box 2 stands alone.
        Assert.Equal([3, 2], Nms.Run(boxes, scores, 0.5f));
        // At a threshold above every overlap nothing is suppressed.
        Assert.Equal([3, 0, 1, 2], Nms.Run(boxes, scores, 0.95f));
    }

    [Fact]
    public void BatchedNmsNeverSuppressesAcrossGroups()
    {
        float[] boxes = [0, 0, 10, 10, 0, 0, 10, 10, 0, 0, 10, 10];
        Assert.Equal([1, 0], Nms.Batched(boxes, [0.5f, 0.6f, 0.4f], [0, 1, 0], 0.5f));
    }

    [Fact]
    public void EqualScoresKeepTheirInputOrder()
    {
        Assert.Equal([0, 1, 2], Nms.DescendingOrder([1f, 1f, 1f]));
        Assert.Equal([1, 0, 2], Nms.DescendingOrder([1f, 2f, 1f]));
    }

    [Fact]
    public void DecodingAnEncodedBoxGivesItBack()
    {
        float[] reference = [10, 20, 30, 60], target = [12, 18, 40, 50];
        var coder = BoxCoder.RoiHeads;
        var codes = coder.Encode(target, reference);
        // dx = 10 * (26 - 20) / 20, dy = 10 * (34 - 40) / 40, dw = 5 log(28 / 20), dh = 5 log(32 / 40).
        Assert.Equal(3f, codes[0], 5);
        Assert.Equal(-1.5f, codes[1], 5);
        Assert.Equal(5 * MathF.Log(1.4f), codes[2], 5);
        Assert.Equal(5 * MathF.Log(0.8f), codes[3], 5);
        var back = coder.Decode(codes, reference);
        for (int i = 0; i < 4; i++) Assert.Equal(target[i], back[i], 4);
    }

    [Fact]
    public void DecodingClampsHugeSizeCodes()
    {
        // dw = 100 would overflow exp; it is clamped at log(1000/16), so the width becomes 62.5 times the reference's.
        var box = BoxCoder.Rpn.Decode([0, 0, 100, 0], [0, 0, 2, 2]);
        Assert.Equal(1 - 62.5f, box[0], 3);
        Assert.Equal(1 + 62.5f, box[2], 3);
    }

    [Fact]
    public void AnchorsFollowTorchvisionsRoundingAndOrder()
    {
        var anchors = new AnchorGenerator([[32f]], [[0.5f, 1f, 2f]]);
        var grid = anchors.Grid(0, 1, 2, 4, 8);
        // Ratio 0.5: w = 32 sqrt 2 = 45.25, h = 22.63; halves round to 23 and 11. Ratio 1: 16. Ratio 2: 11 and 23.
        float[] first = [-23, -11, 23, 11, -16, -16, 16, 16, -11, -23, 11, 23];
        Assert.Equal(first, grid[..12]);
        // The second position is one stride (8 / 2 = 4) to the right.
        Assert.Equal([-19, -11, 27, 11], grid[12..16]);
    }

    [Fact]
    public void LevelMapperSendsCanonicalBoxesToLevelFour()
    {
        var mapper = new LevelMapper(2, 5);
        Assert.Equal(2, mapper.Map([0, 0, 224, 224], 0));
        Assert.Equal(1, mapper.Map([0, 0, 112, 112], 0));
        Assert.Equal(0, mapper.Map([0, 0, 10, 10], 0));
        Assert.Equal(3, mapper.Map([0, 0, 1000, 1000], 0));
        Assert.Equal(0.25f, LevelMapper.Scale(16, 64));
    }
}
