using System.Linq.Expressions;
using System.Text.Json.Nodes;
using ContextNets.Autograd;

namespace ContextNets.Bench;

/// <summary>
/// Per-op framework overhead: ops on tiny tensors, where the arithmetic is
/// nothing and what is left is argument checks, allocation, scopes and the
/// native call. Each call runs in its own Tensor.Scope, as a step would.
/// </summary>
internal static class OverheadBenchmark
{
    private const int PerBatch = 2000, Batches = 41;
    public const double TargetUs = 5.0;

    public static JsonObject Run(BenchOptions o, DateTime started)
    {
        string loadAtStart = MachineInfo.LoadAverage();
        var a = Tensor.Uniform([4], seed: 1);
        var b = Tensor.Uniform([4], seed: 2);
        var ag = Tensor.Uniform([4], seed: 3);
        ag.RequiresGrad = true;
        // An activation as a previous layer leaves it, so no reorder of the input is timed.
        using var xPlain = Tensor.Uniform([1, 4, 4, 4], seed: 4);
        var x = F.Materialize(xPlain, Engine.ActivationFormat);
        var w = Tensor.Uniform([4, 4, 3, 3], seed: 5);

        var cases = new List<(string name, Action run)>
        {
            ("empty scope (baseline)", () => { using (Tensor.Scope()) { } }),
            ("add [4]+[4]", () => { using (Tensor.Scope()) F.Add(a, b); }),
            ("mul [4]*[4]", () => { using (Tensor.Scope()) F.Mul(a, b); }),
            ("sum [4]", () => { using (Tensor.Scope()) F.Sum(a); }),
        };
        if (UnaryOp("Relu") is { } relu) cases.Add(("relu [4]", () => { using (Tensor.Scope()) relu(a); }));
        cases.Add(("conv2d [1,4,4,4] 3x3 (no grad)", () => { using (GradMode.NoGrad()) using (Tensor.Scope()) F.Conv2d(x, w, null, 1, 1); }));
        cases.Add(("add [4], recorded for autograd", () => { using (Tensor.Scope()) F.Add(ag, b); }));
        cases.Add(("sum(a+b).Backward(), [4]", () =>
        {
            using (Tensor.Scope()) F.Sum(F.Add(ag, b)).Backward();
            ag.ZeroGrad();
        }));

        var rows = new JsonArray();
        Console.WriteLine();
        Console.WriteLine($"Per-op overhead, us per call (median of {Batches} batches of {PerBatch}), target < {TargetUs} us");
        foreach (var (name, run) in cases)
        {
            double us = Timing.MicrosecondsPerCall(run, PerBatch, Batches);
            long bytes = ManagedBytesPerCall(run);
            Console.WriteLine($"{name,-34} {us,8:F2} us {bytes,7} B managed");
            rows.Add(new JsonObject { ["op"] = name, ["us_per_call"] = Math.Round(us, 3), ["managed_bytes_per_call"] = bytes });
        }
        a.Dispose(); b.Dispose(); ag.Dispose(); x.Dispose(); w.Dispose();
        return new JsonObject
        {
            ["benchmark"] = "overhead",
            ["date"] = started.ToString("o"),
            ["machine"] = MachineInfo.Describe(withTorch: false, loadAtStart),
            ["threads"] = o.Threads,
            ["method"] = $"Each call inside its own Tensor.Scope; mean per call over a batch of {PerBatch} calls, median of {Batches} batches after 0.5 s of warm-up calls. Ops not yet in F (a unary activation such as Relu) are left out.",
            ["target_us"] = TargetUs,
            ["load_average_at_end"] = MachineInfo.LoadAverage(),
            ["ops"] = rows,
        };
    }

    private static long ManagedBytesPerCall(Action run)
    {
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < PerBatch; i++) run();
        return (GC.GetAllocatedBytesForCurrentThread() - before) / PerBatch;
    }

    /// <summary>F.{name}(Tensor, optional...) when it exists: the benchmark should follow the library without edits.</summary>
    private static Func<Tensor, Tensor>? UnaryOp(string name)
    {
        var m = typeof(F).GetMethods().FirstOrDefault(m => m.Name == name && m.ReturnType == typeof(Tensor) &&
            m.GetParameters() is [{ ParameterType: var t }, ..] ps && t == typeof(Tensor) && ps.Skip(1).All(p => p.HasDefaultValue));
        if (m is null) return null;
        var input = Expression.Parameter(typeof(Tensor));
        var args = m.GetParameters().Skip(1).Select(p => (Expression)Expression.Constant(p.DefaultValue, p.ParameterType));
        return Expression.Lambda<Func<Tensor, Tensor>>(Expression.Call(m, [input, .. args]), input).Compile();
    }
}
