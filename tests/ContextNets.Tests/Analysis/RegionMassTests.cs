using ContextNets.Analysis;

namespace ContextNets.Tests.Analysis;

/// <summary>A pooling map's weight on a region of its image (<see cref="RegionMass"/>), on cases worked by hand.</summary>
public class RegionMassTests
{
    /// <summary>A 4x4 image whose top-left 2x3 pixels are the region, under a 2x2 map (each cell 2x2 pixels).</summary>
    private static readonly bool[] Region =
    [
        true, true, true, false,
        true, true, true, false,
        false, false, false, false,
        false, false, false, false,
    ];

    [Fact]
    public void EachCellCountsByTheShareOfItsPixelsInTheRegion()
    {
        // Cell (0,0) is all region, cell (0,1) half, the bottom cells none: weights 0.4, 0.2, 0.3, 0.1.
        var (mass, area) = RegionMass.Of([0.4f, 0.2f, 0.3f, 0.1f], 2, 2, Region, 4, 4);
        Assert.Equal(0.4 * 1 + 0.2 * 0.5, mass, 6);
        Assert.Equal((1 + 0.5) / 4, area, 12);
    }

    [Fact]
    public void UniformPoolingPutsTheRegionsShareOfTheAreaOnIt()
    {
        var (mass, area) = RegionMass.Of([0.25f, 0.25f, 0.25f, 0.25f], 2, 2, Region, 4, 4);
        Assert.Equal(6.0 / 16, area, 12);
        Assert.Equal(area, mass, 6);
    }

    [Fact]
    public void AMapOfAnotherSizeThanItsRegionIsRefused()
    {
        Assert.Throws<ArgumentException>(() => RegionMass.Of([1f, 0f, 0f], 2, 2, Region, 4, 4));
        Assert.Throws<ArgumentException>(() => RegionMass.Of([0.25f, 0.25f, 0.25f, 0.25f], 2, 2, Region, 3, 4));
    }
}
