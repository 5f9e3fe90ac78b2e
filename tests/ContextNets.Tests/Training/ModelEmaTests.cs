using ContextNets.NN;
using ContextNets.Training;

namespace ContextNets.Tests.Training;

public class ModelEmaTests
{
    private sealed class Net : Module
    {
        private readonly Conv2d _conv;
        private readonly BatchNorm2d _bn;

        public Net()
        {
            _conv = Register("conv", new Conv2d(2, 3, 1));
            _bn = Register("bn", new BatchNorm2d(3));
        }

        public override Tensor Forward(Tensor x) => _bn.Forward(_conv.Forward(x));
    }

    [Fact]
    public void AveragesParametersAndBuffers()
    {
        Initializers.Seed(3);
        using var model = new Net();
        const double decay = 0.9;
        using var ema = new ModelEma(model, decay);
        var expected = model.StateDict().ToDictionary(kv => kv.Key, kv => kv.Value.ToArray().Select(v => (double)v).ToArray());
        for (int step = 0; step < 5; step++)
        {
            using (Tensor.Scope())
            {
                // A training-mode forward moves the running statistics; a fake update moves the weights.
                model.Forward(Tensor.Randn([4, 2, 3, 3], 10 + step));
                foreach (var (_, p) in model.NamedParameters()) F.AddInPlace(p, Tensor.Full(p.Shape, 0.1f * (step + 1)));
            }
            ema.Update(model);
            foreach (var (key, t) in model.StateDict())
            {
                var m = t.ToArray();
                for (int i = 0; i < m.Length; i++) expected[key][i] = decay * expected[key][i] + (1 - decay) * m[i];
            }
        }
        var state = ema.StateDict();
        Assert.Contains("bn.running_mean", state.Keys);
        foreach (var (key, e) in expected)
        {
            var actual = state[key].ToArray();
            for (int i = 0; i < e.Length; i++) Assert.True(Math.Abs(actual[i] - e[i]) <= 1e-6 + 1e-5 * Math.Abs(e[i]), $"{key}[{i}]: {actual[i]}, expected {e[i]}");
        }
    }

    [Fact]
    public void CopyToPutsTheAverageIntoATwin()
    {
        Initializers.Seed(4);
        using var model = new Net();
        using var ema = new ModelEma(model, 0.5);
        using (Tensor.Scope())
            foreach (var (_, p) in model.NamedParameters()) F.AddInPlace(p, Tensor.Full(p.Shape, 1f));
        ema.Update(model);
        Initializers.Seed(5);
        using var twin = new Net();
        ema.CopyTo(twin);
        foreach (var (key, t) in twin.StateDict()) Assert.Equal(ema.StateDict()[key].ToArray(), t.ToArray());
    }

    [Fact]
    public void AnotherArchitectureIsRejected()
    {
        using var model = new Net();
        using var ema = new ModelEma(model);
        using var other = new Linear(2, 2);
        Assert.Throws<InvalidOperationException>(() => ema.Update(other));
    }
}
