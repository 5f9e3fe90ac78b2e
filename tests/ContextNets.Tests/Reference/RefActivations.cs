namespace ContextNets.Tests.Reference;

/// <summary>ReLU, sigmoid and the square root, forward and backward, element by element.</summary>
internal static class RefActivations
{
    public static RefTensor Relu(RefTensor x) => Map(x, v => Math.Max(v, 0));

    public static RefTensor ReluBackward(RefTensor x, RefTensor gy) => Zip(x, gy, (v, g) => v > 0 ? g : 0);

    public static RefTensor LeakyRelu(RefTensor x, double slope) => Map(x, v => v > 0 ? v : slope * v);

    public static RefTensor LeakyReluBackward(RefTensor x, RefTensor gy, double slope) => Zip(x, gy, (v, g) => v > 0 ? g : slope * g);

    public static RefTensor Sigmoid(RefTensor x) => Map(x, v => 1 / (1 + Math.Exp(-v)));

    public static RefTensor SigmoidBackward(RefTensor x, RefTensor gy) => Zip(x, gy, (v, g) =>
    {
        double s = 1 / (1 + Math.Exp(-v));
        return g * s * (1 - s);
    });

    public static RefTensor Sqrt(RefTensor x) => Map(x, Math.Sqrt);

    public static RefTensor SqrtBackward(RefTensor x, RefTensor gy) => Zip(x, gy, (v, g) => g / (2 * Math.Sqrt(v)));

    private static RefTensor Map(RefTensor x, Func<double, double> f) => new(x.Shape, Array.ConvertAll(x.Data, v => f(v)));

    private static RefTensor Zip(RefTensor x, RefTensor gy, Func<double, double, double> f)
    {
        var y = new RefTensor(x.Shape);
        for (int i = 0; i < y.Length; i++) y.Data[i] = f(x.Data[i], gy.Data[i]);
        return y;
    }
}
