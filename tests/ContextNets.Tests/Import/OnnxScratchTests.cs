using ContextNets.Export;
using ContextNets.Import;
using ContextNets.Models;
using ContextNets.Tests.Export;

namespace ContextNets.Tests.Import;

/// <summary>An imported graph's weights drawn anew for training it from scratch (`train --init FILE.onnx --from-scratch`).</summary>
public sealed class OnnxScratchTests
{
    private static OnnxModel Imported()
    {
        using var model = Zoo.Create("resnet20", numClasses: 10, inChannels: 3, seed: 4);
        OnnxCases.Randomize(model, 4);
        return OnnxModel.Load(OnnxCases.Bytes(model, new OnnxExportOptions { InputShape = new Shape(1, 3, 8, 8), Opset = 17, FoldBatchNorm = false }));
    }

    [Fact]
    public void NormsStartAtTheIdentityAndKernelsAtTorchvisionsScaleFromTheSeedAlone()
    {
        using var a = Imported();
        using var b = Imported();
        var before = a.Tensors.ToDictionary(kv => kv.Key, kv => kv.Value.ToArray());
        OnnxScratch.Reinitialize(a, 11);
        OnnxScratch.Reinitialize(b, 11);
        var norms = a.Ops.OfType<BatchNormOp>().ToList();
        Assert.NotEmpty(norms);
        foreach (var n in norms)
        {
            Assert.All(a.Tensors[n.ScaleName].ToArray(), v => Assert.Equal(1f, v));
            Assert.All(a.Tensors[n.VarName].ToArray(), v => Assert.Equal(1f, v));
            Assert.All(a.Tensors[n.BiasName].ToArray(), v => Assert.Equal(0f, v));
            Assert.All(a.Tensors[n.MeanName].ToArray(), v => Assert.Equal(0f, v));
        }
        foreach (var (name, t) in a.Tensors.Where(kv => kv.Value.Rank == 4))
        {
            var w = t.ToArray();
            double std = Math.Sqrt(w.Average(v => (double)v * v)), expected = Math.Sqrt(2.0 / (t.Shape[0] * t.Shape[2] * t.Shape[3]));
            // Kaiming normal over the fan-out: the sample's spread within a fifth of the intended one (each kernel has 400 or more values).
            Assert.InRange(std / expected, 0.8, 1.2);
            Assert.False(before[name].SequenceEqual(w), $"{name} kept its trained values");
        }
        var fc = a.Tensors.Single(kv => kv.Value.Rank == 2);
        Assert.All(fc.Value.ToArray(), v => Assert.InRange(v, -1 / Math.Sqrt(fc.Value.Shape[1]), 1 / Math.Sqrt(fc.Value.Shape[1])));
        foreach (var (name, t) in a.Tensors)
            Assert.True(t.ToArray().SequenceEqual(b.Tensors[name].ToArray()), $"{name} differs between two draws of one seed");
    }
}
