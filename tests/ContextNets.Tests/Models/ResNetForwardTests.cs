using ContextNets.Autograd;
using ContextNets.Models;

namespace ContextNets.Tests.Models;

/// <summary>Shapes through the networks, odd sizes, and a training step that reaches every parameter.</summary>
public class ResNetForwardTests
{
    [Theory]
    [InlineData(1, 28, 7)]
    [InlineData(3, 32, 8)]
    public void CifarResNetsTakeMnistAndCifarSizes(int inChannels, int size, int finalSize)
    {
        using var model = new ResNet(ResNets.Cifar(20, 10, inChannels));
        using var scope = Tensor.Scope();
        using var noGrad = GradMode.NoGrad();
        var x = Tensor.Randn([2, inChannels, size, size], 1);
        Assert.Equal(new Shape(2, 64, finalSize, finalSize), model.ForwardFeatures(x).Shape);
        Assert.Equal(new Shape(2, 10), model.Forward(x).Shape);
    }

    [Theory]
    [InlineData(33, 2)]
    [InlineData(57, 2)]
    [InlineData(64, 2)]
    public void ResNetDHandlesOddSizesAsTheStridedConvsDo(int size, int finalSize)
    {
        using var model = new ResNet(ResNets.ResNet50D(numClasses: 5) with { Layers = [1, 1, 1, 1] });
        using var scope = Tensor.Scope();
        using var noGrad = GradMode.NoGrad();
        var features = model.ForwardFeatures(Tensor.Randn([1, 3, size, size], 1));
        Assert.Equal(new Shape(1, 2048, finalSize, finalSize), features.Shape);
    }

    [Fact]
    public void ResNeStRunsWithTheMiddleConvAndAvd()
    {
        using var model = new ResNet(ResNets.ResNeStD([1, 1, 1, 1], StandInSplitAttention.Create, numClasses: 7));
        using var scope = Tensor.Scope();
        using var noGrad = GradMode.NoGrad();
        Assert.Equal(new Shape(2, 7), model.Forward(Tensor.Randn([2, 3, 35, 35], 1)).Shape);
    }

    [Fact]
    public void ATrainingStepReachesEveryParameter()
    {
        // With zero_init_last the branches' inner layers would get exactly zero gradients on the first step.
        using var model = new ResNet(ResNets.Cifar(8, 10, 1) with { AvgDown = true, ZeroInitLast = false });
        using (Tensor.Scope())
        {
            var loss = F.CrossEntropy(model.Forward(Tensor.Randn([4, 1, 12, 12], 1)), [0, 3, 5, 9]);
            loss.Backward();
        }
        Assert.All(model.NamedParameters(), p =>
        {
            Assert.True(p.tensor.Grad is not null, $"{p.name} has no gradient");
            Assert.Contains(p.tensor.Grad!.ToArray(), v => v != 0f);
        });
        model.ZeroGrad();
    }
}
