using ContextNets.Training;

namespace ContextNets.Tests.Training;

public class GradClipTests
{
    private static (Tensor a, Tensor b, Sgd opt) Setup(float[] ga, float[] gb)
    {
        var a = Tensor.EmptyUnscoped([ga.Length]);
        var b = Tensor.EmptyUnscoped([gb.Length]);
        a.Grad = Tensor.EmptyUnscoped([ga.Length]);
        b.Grad = Tensor.EmptyUnscoped([gb.Length]);
        ga.CopyTo(a.Grad.Span);
        gb.CopyTo(b.Grad.Span);
        return (a, b, new Sgd([new ParamGroup([("a", a), ("b", b)])], 0.1));
    }

    [Fact]
    public void ClipsToTheGlobalNormAndReturnsTheNormBefore()
    {
        var (a, b, opt) = Setup([3, 0, 4], [12]);   // global norm 13
        using (a) using (b) using (opt)
        {
            double norm = GradClip.ClipGlobalNorm(opt, 1.3);
            Assert.Equal(13, norm, 6);
            double coef = 1.3 / (13 + 1e-6);
            Assert.Equal([(float)(3 * coef), 0f, (float)(4 * coef)], a.Grad!.ToArray());
            Assert.Equal([(float)(12 * coef)], b.Grad!.ToArray());
        }
    }

    [Fact]
    public void LeavesSmallGradientsAlone()
    {
        var (a, b, opt) = Setup([0.3f, 0.4f], [0]);
        using (a) using (b) using (opt)
        {
            Assert.Equal(0.5, GradClip.ClipGlobalNorm(opt, 1.0), 6);
            Assert.Equal([0.3f, 0.4f], a.Grad!.ToArray());
        }
    }

    [Fact]
    public void NonFiniteNormIsReturnedWithoutScaling()
    {
        var (a, b, opt) = Setup([float.NaN, 1], [2]);
        using (a) using (b) using (opt)
        {
            Assert.True(double.IsNaN(GradClip.ClipGlobalNorm(opt, 1.0)));
            Assert.Equal([2f], b.Grad!.ToArray());
        }
    }
}
