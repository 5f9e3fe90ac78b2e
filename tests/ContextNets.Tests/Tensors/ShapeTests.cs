namespace ContextNets.Tests.Tensors;

public class ShapeTests
{
    [Fact]
    public void NegativeDimensionsAreRejectedWithTheShapeNamed()
    {
        var ex = Assert.Throws<ArgumentException>(() => new Shape(2, -3, 4));
        Assert.Contains("[2, -3, 4]", ex.Message);
    }

    [Theory]
    [InlineData(new[] { 65536, 65536 })]
    [InlineData(new[] { 65536, 65536, 65536, 65536 })]
    [InlineData(new[] { int.MaxValue, int.MaxValue, int.MaxValue })]
    public void ShapesTooLargeForOneTensorAreRejected(int[] dims)
    {
        var ex = Assert.Throws<ArgumentException>(() => new Shape(dims));
        Assert.Contains(Shape.Format(dims), ex.Message);
    }

    [Fact]
    public void AZeroDimensionMakesAnyShapeEmpty()
    {
        var s = new Shape(0, int.MaxValue, int.MaxValue);
        Assert.Equal(0, s.Numel);
    }

    [Fact]
    public void CountsStridesAndAxes()
    {
        Shape s = [2, 3, 4, 5];
        Assert.Equal(4, s.Rank);
        Assert.Equal(120, s.Numel);
        Assert.Equal([60, 20, 5, 1], s.ContiguousStrides());
        Assert.Equal(3, s.Axis(-1));
        Assert.Equal(0, s.Axis(-4));
        Assert.Contains("[2, 3, 4, 5]", Assert.Throws<ArgumentException>(() => s.Axis(4)).Message);
        Assert.Throws<ArgumentException>(() => s.Axis(-5));
        Assert.Equal(new Shape(2, 7, 4, 5), s.With(1, 7));
        Assert.Equal([2, 3, 4, 5], s.ToArray());
        Assert.Equal("[2, 3, 4, 5]", s.ToString());
    }

    [Fact]
    public void EqualityIsByDimensions()
    {
        Shape a = [2, 3], b = new int[] { 2, 3 };
        Assert.True(a == b);
        Assert.Equal(a.GetHashCode(), b.GetHashCode());
        Assert.True(a != new Shape(3, 2));
        Assert.True(new Shape() == default);
        Assert.Equal(1, default(Shape).Numel);
        Assert.Equal(0, default(Shape).Rank);
    }
}
