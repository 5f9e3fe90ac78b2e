using System.Runtime.InteropServices;
using ContextNets.NN;
using ContextNets.Training;

namespace ContextNets.Tests.Training;

/// <summary>A small conv net with BatchNorm and dropout, for the checkpoint tests.</summary>
internal sealed class SmallNet : Module
{
    private readonly Conv2d _conv1, _conv2;
    private readonly BatchNorm2d _bn1, _bn2;
    private readonly Linear _fc;

    public SmallNet(int width = 8)
    {
        _conv1 = Register("conv1", new Conv2d(3, width, 3, padding: 1, bias: false));
        _bn1 = Register("bn1", new BatchNorm2d(width));
        _conv2 = Register("conv2", new Conv2d(width, 2 * width, 3, stride: 2, padding: 1, bias: false));
        _bn2 = Register("bn2", new BatchNorm2d(2 * width));
        _fc = Register("fc", new Linear(2 * width, 5));
    }

    /// <summary>The dropout mask's seed for the next forward, drawn by the run from its generator.</summary>
    public long DropoutSeed { get; set; }

    public override Tensor Forward(Tensor x)
    {
        var h = F.Relu(_bn1.Forward(_conv1.Forward(x)));
        h = F.Relu(_bn2.Forward(_conv2.Forward(h)));
        var pooled = F.GlobalAvgPool2d(h);
        return _fc.Forward(F.Dropout(F.Reshape(pooled, pooled.Shape[0], pooled.Shape[1]), 0.2f, Training, DropoutSeed));
    }
}

/// <summary>
/// A training run in miniature, with every piece whose state a resume must restore: model (with BatchNorm
/// statistics), optimizer, schedule, gradient clipping, EMA and the data/dropout generator.
/// </summary>
internal sealed class TinyRun : IDisposable
{
    public const string Name = "last";
    public readonly SmallNet Model;
    public readonly Optimizer Optimizer;
    public readonly ModelEma Ema;
    public readonly LrSchedule Schedule = new CosineSchedule(0.05, totalSteps: 40, warmupSteps: 3, warmupStartLr: 0.005);
    public Rng Data;
    public long Step;

    public TinyRun(int seed, bool adamW)
    {
        Initializers.Seed(seed);
        Model = new SmallNet();
        Optimizer = adamW ? AdamW.For(Model, weightDecay: 0.05) : Sgd.For(Model, 0.05, momentum: 0.9, weightDecay: 1e-3, nesterov: true, noDecayOnNormAndBias: true);
        Ema = new ModelEma(Model, 0.9);
        Data = new Rng((ulong)seed);
    }

    public void Train(int steps)
    {
        for (int i = 0; i < steps; i++)
        {
            using var scope = Tensor.Scope();
            Schedule.Apply(Optimizer, Step);
            var values = new float[4 * 3 * 8 * 8];
            for (int k = 0; k < values.Length; k++) values[k] = (float)Data.Normal();
            var labels = Enumerable.Range(0, 4).Select(_ => Data.NextInt(5)).ToArray();
            Model.DropoutSeed = (long)Data.NextUInt64();
            var loss = F.CrossEntropy(Model.Forward(Tensor.FromArray(values, [4, 3, 8, 8])), labels, labelSmoothing: 0.1f);
            LossGuard.Check(loss, Step);
            loss.Backward();
            GradClip.ClipGlobalNorm(Optimizer, 1.0);
            Optimizer.Step();
            Optimizer.ZeroGrad();
            Ema.Update(Model);
            Step++;
        }
    }

    public TrainingState State() => new() { Step = Step, Rng = { ["data"] = Data.SaveState() }, Schedule = Schedule };

    public void Save(string directory) => Checkpoint.Save(directory, Name, Model, State(), Optimizer, Ema);

    public void Resume(string directory)
    {
        var state = Checkpoint.Load(directory, Name, Model, Optimizer, Ema);
        Step = state.Step;
        Data = Rng.FromState(state.Rng["data"]);
    }

    /// <summary>Every float of model, optimizer and EMA state, as raw bits, by name.</summary>
    public Dictionary<string, int[]> Bits()
    {
        var all = new Dictionary<string, int[]>();
        foreach (var (k, t) in Model.StateDict()) all["model." + k] = Raw(t);
        foreach (var (k, t) in Optimizer.StateTensors()) all["optimizer." + k] = Raw(t);
        foreach (var (k, t) in Ema.StateDict()) all["ema." + k] = Raw(t);
        return all;
    }

    private static int[] Raw(Tensor t) => MemoryMarshal.Cast<float, int>(t.ToArray().AsSpan()).ToArray();

    public void Dispose()
    {
        Optimizer.Dispose();
        Ema.Dispose();
        Model.Dispose();
    }
}
