using ContextNets.Training;

namespace ContextNets.Tests.Training;

/// <summary>mIoU and pixel accuracy on cases worked by hand.</summary>
public class ConfusionMatrixTests
{
    [Fact]
    public void HandWorkedThreeClassCase()
    {
        // truth:     0 0 0 1 1 2 255 2
        // predicted: 0 0 1 1 2 2  0  0
        var m = new ConfusionMatrix(3);
        m.Add([0, 0, 1, 1, 2, 2, 0, 0], [0, 0, 0, 1, 1, 2, 255, 2]);
        // Counted: 7 pixels (the 255 is ignored); correct: 0,0 | 1 | 2 -> 4.
        Assert.Equal(7, m.Total);
        Assert.Equal(4.0 / 7, m.PixelAccuracy, 12);
        // class 0: TP 2, FP 1 (a 2 predicted 0), FN 1 -> 2/4; class 1: TP 1, FP 1, FN 1 -> 1/3; class 2: TP 1, FP 1, FN 1 -> 1/3.
        var iou = m.IoU();
        Assert.Equal(0.5, iou[0], 12);
        Assert.Equal(1.0 / 3, iou[1], 12);
        Assert.Equal(1.0 / 3, iou[2], 12);
        Assert.Equal((0.5 + 2.0 / 3) / 3, m.MeanIoU, 12);
    }

    [Fact]
    public void AClassThatNeverOccursIsLeftOutOfTheMean()
    {
        var m = new ConfusionMatrix(4);
        m.Add([0, 1, 1, 0], [0, 1, 1, 1]);
        var iou = m.IoU();
        Assert.Equal(0.5, iou[0], 12);          // TP 1, FN 0, FP 1
        Assert.Equal(2.0 / 3, iou[1], 12);      // TP 2, FN 1, FP 0
        Assert.True(double.IsNaN(iou[2]) && double.IsNaN(iou[3]));
        Assert.Equal((0.5 + 2.0 / 3) / 2, m.MeanIoU, 12);
        Assert.Equal(0.75, m.PixelAccuracy, 12);
    }

    [Fact]
    public void APredictedClassAbsentFromTheLabelsScoresZero()
    {
        var m = new ConfusionMatrix(3);
        m.Add([2, 2], [0, 0]);
        Assert.Equal(0, m.IoU()[0]);
        Assert.Equal(0, m.IoU()[2]);
        Assert.Equal(0, m.MeanIoU);
        Assert.Equal(0, m.PixelAccuracy);
    }

    [Fact]
    public void EverythingIgnoredHasNoScore()
    {
        var m = new ConfusionMatrix(2, ignoreIndex: 9);
        m.Add([0, 1], [9, 9]);
        Assert.True(double.IsNaN(m.PixelAccuracy));
        Assert.True(double.IsNaN(m.MeanIoU));
    }

    [Fact]
    public void LabelsAndPredictionsOutsideTheClassesAreRefused()
    {
        var m = new ConfusionMatrix(2);
        Assert.Contains("Label 5", Assert.Throws<ArgumentException>(() => m.Add([0], [5])).Message, StringComparison.Ordinal);
        Assert.Contains("Prediction 2", Assert.Throws<ArgumentException>(() => m.Add([2], [0])).Message, StringComparison.Ordinal);
    }
}
