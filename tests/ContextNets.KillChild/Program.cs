using ContextNets;
using ContextNets.NN;
using ContextNets.Training;

// Usage: ctxnet-kill-child DIR. Resumes from DIR/last when it exists, then trains forever, saving after every
// step and printing "saving N" before and "saved N" after each save, so that the parent can kill it inside one.
// Each checkpoint records the sum of its weights, which the parent recomputes from the files it finds.
string dir = args[0];
Initializers.Seed(1);
using var model = new Sequential(new Linear(512, 2048), new Lambda(F.Relu), new Linear(2048, 10));
using var optimizer = Sgd.For(model, 0.01, momentum: 0.9, weightDecay: 1e-4);
using var ema = new ModelEma(model, 0.99);
var rng = new Rng(7);
long step = 0;
if (Checkpoint.Exists(dir, "last"))
{
    var state = Checkpoint.Load(dir, "last", model, optimizer, ema);
    step = state.Step;
    rng = Rng.FromState(state.Rng["data"]);
    Console.WriteLine($"resumed {step}");
}
while (true)
{
    using (Tensor.Scope())
    {
        var x = Tensor.Randn([8, 512], (int)(rng.NextUInt64() & int.MaxValue));
        var labels = Enumerable.Range(0, 8).Select(_ => rng.NextInt(10)).ToArray();
        var loss = F.CrossEntropy(model.Forward(x), labels);
        LossGuard.Check(loss, step);
        loss.Backward();
        optimizer.Step();
        optimizer.ZeroGrad();
        ema.Update(model);
        step++;
    }
    var saved = new TrainingState { Step = step, Rng = { ["data"] = rng.SaveState() }, Metrics = { ["weight_sum"] = WeightSum(model) } };
    Console.WriteLine($"saving {step}");
    Checkpoint.Save(dir, "last", model, saved, optimizer, ema);
    Console.WriteLine($"saved {step}");
}

static double WeightSum(Module m) => m.StateDict().OrderBy(kv => kv.Key, StringComparer.Ordinal).Sum(kv => kv.Value.ToArray().Sum(v => (double)v));
