namespace ContextNets.Tests.Tensors;

/// <summary>The public way in and out of a tensor's values: FromArray, ToArray and CopyFrom, in logical order whatever the layout.</summary>
public sealed class TensorDataTests
{
    [Fact]
    public void CopyFromWritesLogicalOrderIntoAChannelsLastTensor()
    {
        using var scope = Tensor.Scope();
        var values = Enumerable.Range(0, 2 * 3 * 2 * 2).Select(i => (float)i).ToArray();
        var t = F.ToFormat(Tensor.Zeros([2, 3, 2, 2]), MemoryFormat.ChannelsLast);
        Assert.True(t.IsIn(MemoryFormat.ChannelsLast));
        t.CopyFrom(values);
        Assert.Equal(values, t.ToArray());
        Assert.Equal(values[1 * 12 + 2 * 4 + 1 * 2 + 0], t[1, 2, 1, 0]);
        Assert.True(t.IsIn(MemoryFormat.ChannelsLast));
    }

    [Fact]
    public void CopyFromRefusesTheWrongCountAndReachesTheConvolutionsWeightCache()
    {
        using var scope = Tensor.Scope();
        var x = Tensor.Randn([1, 2, 5, 5], 1);
        var w = Tensor.Randn([3, 2, 3, 3], 2);
        var before = F.Conv2d(x, w, padding: 1).ToArray();
        Assert.Throws<ArgumentException>(() => w.CopyFrom(new float[5]));
        w.CopyFrom(w.ToArray().Select(v => 2 * v).ToArray());
        // The reordered copy of the old weights must not be reused: the output doubles.
        var after = F.Conv2d(x, w, padding: 1).ToArray();
        for (int i = 0; i < before.Length; i++) Assert.Equal(2 * before[i], after[i], 1e-4f);
    }

    [Fact]
    public void FromArrayCopiesAndToArrayReturnsACopy()
    {
        var values = new float[] { 1, 2, 3, 4, 5, 6 };
        using var t = Tensor.FromArray(values, 2, 3);
        values[0] = 100;
        var read = t.ToArray();
        read[1] = 200;
        Assert.Equal([1f, 2, 3, 4, 5, 6], t.ToArray());
        Assert.Throws<ArgumentException>(() => Tensor.FromArray(values, 4, 2));
    }
}
