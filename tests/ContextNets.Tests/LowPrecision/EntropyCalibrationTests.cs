using ContextNets.Autograd;
using ContextNets.Models;
using ContextNets.Models.Inference;
using ContextNets.Tests.Support;

namespace ContextNets.Tests.LowPrecision;

/// <summary>Entropy (KL) calibration: the range it picks on a histogram worked by hand, and its scales in a model.</summary>
public class EntropyCalibrationTests
{
    [Fact]
    public void PicksTheRangeOfLeastDivergenceWorkedByHand()
    {
        // Histogram [6, 2, 1, 1] quantized to 2 levels; no bin is empty, so no smoothing enters. Candidates:
        // i = 2: P = [6, 2+1+1] / 10 = [.6, .4]; Q = groups [6], [2] = [.75, .25];
        //        KL = .6 ln(.6/.75) + .4 ln(.4/.25) = -0.133886 + 0.188001 = 0.054115.
        // i = 3: P = [6, 2, 1+1] / 10 = [.6, .2, .2]; Q = groups [6], [2, 1] -> [6, 1.5, 1.5] / 9;
        //        KL = .6 ln(.6/.6667) + 2 (.2 ln(.2/.1667)) = -0.063216 + 0.072929 = 0.009713.
        // i = 4: P = [.6, .2, .1, .1]; Q = groups [6, 2], [1, 1] -> [4, 4, 1, 1] / 10;
        //        KL = .6 ln(.6/.4) + .2 ln(.2/.4) = 0.243279 - 0.138629 = 0.104650.
        // The least is i = 3: the range keeps 3 of the 4 bins.
        Assert.Equal(3, EntropyCalibration.KeptBins([6, 2, 1, 1], 2));
        // A single candidate (as many levels as bins) and an empty histogram keep every bin.
        Assert.Equal(4, EntropyCalibration.KeptBins([6, 2, 1, 1], 4));
        Assert.Equal(4, EntropyCalibration.KeptBins([0, 0, 0, 0], 2));
    }

    [Fact]
    public void EntropyScalesAreDeterministicNeverWiderThanMinMaxAndReload()
    {
        using var model = Zoo.Create("gc_resnet20");
        using var scope = Tensor.Scope();
        using var noGrad = GradMode.NoGrad();
        var calibration = Tensor.Randn([4, 1, 28, 28], 5);
        InferenceOptions Options(CalibrationMethod method) =>
            new() { Precision = Precision.Int8, Calibration = calibration, CalibrationBatchSize = 2, Method = method, MinSqnrDb = 0 };
        using var first = model.Prepare(Options(CalibrationMethod.Entropy));
        using var second = model.Prepare(Options(CalibrationMethod.Entropy));
        using var minMax = model.Prepare(Options(CalibrationMethod.MinMax));
        string json = first.Quantization!.ToJson();
        Assert.Equal(json, second.Quantization!.ToJson());
        Assert.Contains("\"method\":\"entropy\"", json);
        Assert.Equal(CalibrationMethod.Entropy, QuantizationTable.Parse(json).Method);
        var pairs = first.Quantization.Layers.Zip(minMax.Quantization!.Layers).ToList();
        Assert.All(pairs, p => Assert.True(p.First.Input.Scale <= p.Second.Input.Scale, $"{p.First.Conv}: {p.First.Input.Scale} > {p.Second.Input.Scale}"));
        Assert.Contains(pairs, p => p.First.Input.Scale < p.Second.Input.Scale);
    }
}
