using ContextNets.NN;

namespace ContextNets.Tests.NN;

public class ModuleTests
{
    private sealed class Block : Module
    {
        public Block()
        {
            Conv = Register("conv", new Conv2d(3, 4, 3, padding: 1, bias: false));
            Bn = Register("bn", new BatchNorm2d(4));
            Head = Register("head", new Sequential(new Linear(4, 2), Lambda.Relu()));
        }

        public Conv2d Conv { get; }
        public BatchNorm2d Bn { get; }
        public Sequential Head { get; }

        public override Tensor Forward(Tensor x) =>
            Head.Forward(F.Reshape(F.GlobalAvgPool2d(F.Relu(Bn.Forward(Conv.Forward(x)))), x.Shape[0], 4));
    }

    private sealed class Forgetful : Module
    {
        private readonly Linear _hidden = new(2, 2);
        public override Tensor Forward(Tensor x) => _hidden.Forward(x);
    }

    [Fact]
    public void NamesFollowTorchConventions()
    {
        using var m = new Block();
        Assert.Equal(["conv.weight", "bn.weight", "bn.bias", "head.0.weight", "head.0.bias"], m.NamedParameters().Select(p => p.name));
        Assert.Equal(["bn.running_mean", "bn.running_var"], m.NamedBuffers().Select(b => b.name));
        Assert.Equal(3 * 4 * 9 + 4 + 4 + 8 + 2, m.ParameterCount);
        Assert.All(m.Parameters(), p => Assert.True(p.RequiresGrad));
    }

    [Fact]
    public void AnUnregisteredSubmoduleIsAnError()
    {
        using var m = new Forgetful();
        var ex = Assert.Throws<InvalidOperationException>(() => m.NamedParameters().ToList());
        Assert.Contains("_hidden", ex.Message);
    }

    [Fact]
    public void StateDictRoundTripsAndReportsMismatches()
    {
        using var a = new Block();
        using var b = new Block();
        using var scope = Tensor.Scope();
        b.LoadStateDict(a.StateDict());
        foreach (var (name, t) in a.StateDict()) Assert.Equal(t.ToArray(), b.StateDict()[name].ToArray());

        var partial = a.StateDict().Where(kv => kv.Key != "bn.bias").ToDictionary();
        partial["extra.weight"] = Tensor.Zeros([1]);
        var ex = Assert.Throws<InvalidDataException>(() => b.LoadStateDict(partial));
        Assert.Contains("bn.bias", ex.Message);
        Assert.Contains("extra.weight", ex.Message);
        var report = b.LoadStateDict(partial, strict: false);
        Assert.Equal(["bn.bias"], report.Missing);
        Assert.Equal(["extra.weight"], report.Unexpected);

        var wrong = a.StateDict().ToDictionary();
        wrong["conv.weight"] = Tensor.Zeros([4, 3, 5, 5]);
        ex = Assert.Throws<InvalidDataException>(() => b.LoadStateDict(wrong));
        Assert.Contains("conv.weight", ex.Message);
        Assert.Contains("[4, 3, 5, 5]", ex.Message);
        Assert.Contains("[4, 3, 3, 3]", ex.Message);
    }

    [Fact]
    public void BatchNormCountersFromPyTorchAreIgnored()
    {
        using var a = new Block();
        using var b = new Block();
        using var scope = Tensor.Scope();
        var withCounter = a.StateDict().ToDictionary();
        withCounter["bn.num_batches_tracked"] = Tensor.Zeros([]);
        var report = b.LoadStateDict(withCounter);
        Assert.True(report.IsComplete, report.ToString());

        withCounter["bn.num_batches_tracked_extra"] = Tensor.Zeros([1]);
        var ex = Assert.Throws<InvalidDataException>(() => b.LoadStateDict(withCounter));
        Assert.Contains("bn.num_batches_tracked_extra", ex.Message);
    }

    [Fact]
    public void TrainEvalReachesEveryModuleAndTrainingStepsProduceGradients()
    {
        using var m = new Block();
        m.Eval();
        Assert.All(m.NamedModules(), x => Assert.False(x.module.Training));
        m.Train();
        using (Tensor.Scope())
        {
            var loss = F.Mean(m.Forward(Tensor.Randn([2, 3, 6, 6], 1)));
            loss.Backward();
        }
        Assert.All(m.Parameters(), p => Assert.NotNull(p.Grad));
        m.ZeroGrad();
        Assert.All(m.Parameters(), p => Assert.Null(p.Grad));
    }
}
