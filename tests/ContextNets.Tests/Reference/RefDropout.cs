namespace ContextNets.Tests.Reference;

/// <summary>Inverted dropout with a given keep mask (logical order), forward and backward.</summary>
internal static class RefDropout
{
    public static RefTensor Forward(RefTensor x, bool[] keep, double p) => Scale(x, keep, p);

    public static RefTensor Backward(RefTensor gy, bool[] keep, double p) => Scale(gy, keep, p);

    private static RefTensor Scale(RefTensor t, bool[] keep, double p)
    {
        var y = new RefTensor(t.Shape);
        for (int i = 0; i < t.Length; i++) y.Data[i] = keep[i] ? t.Data[i] / (1 - p) : 0;
        return y;
    }
}
