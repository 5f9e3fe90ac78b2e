using ContextNets.IO;
using ContextNets.Tests.Reference;
using ContextNets.Tests.Support;

namespace ContextNets.Tests.IO;

/// <summary>
/// Squeeze-and-Excitation built from engine ops alone, against the PyTorch
/// vectors: this proves that the file format, the parameter names and the
/// conventions (1x1 convs, NCHW, sum(y * grad_y)) line up.
/// </summary>
public class SeVectorTests
{
    [Theory]
    [InlineData(MemoryFormat.Contiguous)]
    [InlineData(MemoryFormat.ChannelsLast)]
    public void SqueezeExciteFromEngineOpsMatchesPyTorch(MemoryFormat format)
    {
        var file = SafetensorsFile.Read(TestData.Block("se"));
        Assert.Equal("se", file.Metadata["block"]);
        using var scope = Tensor.Scope();
        var x = F.ToFormat(file.Load("x"), format);
        x.RequiresGrad = true;
        var w1 = Param(file, "fc1.weight");
        var b1 = Param(file, "fc1.bias");
        var w2 = Param(file, "fc2.weight");
        var b2 = Param(file, "fc2.bias");

        var squeezed = F.Mean(x, [2, 3], keepDim: true);
        var gate = F.Sigmoid(F.Conv2d(F.Relu(F.Conv2d(squeezed, w1, b1)), w2, b2));
        var y = F.Mul(x, gate);
        y.Backward(file.Load("grad_y"));

        Check.Close(Expected(file, "y"), y, what: "se y");
        Check.Close(Expected(file, "grad_x"), x.Grad!, what: "se grad_x");
        foreach (var (name, p) in new[] { ("fc1.weight", w1), ("fc1.bias", b1), ("fc2.weight", w2), ("fc2.bias", b2) })
            Check.Close(Expected(file, "grad." + name), p.Grad!, what: "se grad." + name);
    }

    private static Tensor Param(SafetensorsFile file, string name)
    {
        var p = file.Load("param." + name);
        p.RequiresGrad = true;
        return p;
    }

    private static RefTensor Expected(SafetensorsFile file, string key)
    {
        using var t = file.Load(key);
        return RefTensor.From(t);
    }
}
