using ContextNets.Autograd;
using ContextNets.Export.Proto;
using ContextNets.Import;
using Google.Protobuf;
using Xunit.Abstractions;

namespace ContextNets.Tests.Import;

/// <summary>
/// The importer, fuzzed with seeded mutations of sound ONNX files (<see cref="ImportFuzzBases"/>): broken protobuf
/// bytes, initializers whose data does not fill their dims, missing inputs, cycles, unknown ops and opsets, attributes
/// of the wrong type or value, dropped attributes and initializers. Every case must end cleanly: refused at load with
/// an <see cref="InvalidDataException"/> or <see cref="NotSupportedException"/>, or loaded and then run (or refused at
/// run time with an <see cref="InvalidDataException"/> naming the node). The mutations that break the file for
/// sure (wrong sizes, a missing input, a cycle, an opset out of range, an unknown op) must be refused at load.
/// Every <see cref="RunEvery"/>th loaded mutant also runs: a forward costs far more than a load on a shared machine,
/// where oneDNN's threads wait on each other.
/// CTXNET_IMPORT_FUZZ_CASES and CTXNET_IMPORT_FUZZ_SEED run a longer or other stream.
/// </summary>
public sealed class ImportFuzzTests(ITestOutputHelper output)
{
    public const int DefaultCases = 6000, RunEvery = 4;
    private static readonly int Cases = int.TryParse(Environment.GetEnvironmentVariable("CTXNET_IMPORT_FUZZ_CASES"), out int n) && n > 0 ? n : DefaultCases;
    private static readonly ulong Seed = ulong.TryParse(Environment.GetEnvironmentVariable("CTXNET_IMPORT_FUZZ_SEED"), out ulong s) ? s : 20261205;

    [Fact]
    public void MutatedFilesAreRefusedCleanly()
    {
        var bases = ImportFuzzBases.All();
        var rng = new Rng(Seed);
        var outcomes = new Dictionary<string, int>();
        int loaded = 0;
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var cpu = System.Diagnostics.Process.GetCurrentProcess().TotalProcessorTime;
        for (int i = 0; i < Cases; i++)
        {
            var (model, input) = bases[rng.NextInt(bases.Count)];
            var (bytes, kind, mustRefuse) = ImportFuzzMutations.Mutate(model, rng);
            string label = $"case {i} ({kind} of {model.Graph.Name})";
            string outcome = Outcome(bytes, input, label, ref loaded);
            Assert.False(mustRefuse && outcome != "refused at load", $"{label}: the importer accepted a broken file ({outcome}).");
            string key = $"{kind}: {outcome}";
            outcomes[key] = outcomes.GetValueOrDefault(key) + 1;
        }
        foreach (var (k, count) in outcomes.OrderBy(o => o.Key)) output.WriteLine($"{count,5}  {k}");
        // The CPU time says what the cases cost when the shared machine's load stretches the wall time.
        var used = System.Diagnostics.Process.GetCurrentProcess().TotalProcessorTime - cpu;
        output.WriteLine($"{Cases} cases from seed {Seed} in {clock.Elapsed.TotalSeconds:F1} s ({used.TotalSeconds:F1} s of CPU)");
        Assert.True(outcomes.Where(o => o.Key.EndsWith("refused at load")).Sum(o => o.Value) > Cases / 2, "most mutations should break the file");
    }

    // Any exception other than the documented refusals (a NullReferenceException, an IndexOutOfRangeException, an
    // OverflowException ...) escapes and fails the test with its stack.
    private static string Outcome(byte[] bytes, int[] input, string label, ref int loaded)
    {
        OnnxModel model;
        try
        {
            model = OnnxModel.Load(bytes, label);
        }
        catch (Exception e) when (e is InvalidDataException or NotSupportedException)
        {
            Assert.False(string.IsNullOrWhiteSpace(e.Message) || e.Message.Contains('\n'), $"{label}: the refusal is not one line: {e.Message}");
            return "refused at load";
        }
        using var owned = model;
        if (loaded++ % RunEvery != 0) return "loaded";
        using (Tensor.Scope())
        using (GradMode.NoGrad())
        {
            model.Eval();
            try
            {
                model.Forward(Tensor.Full(input, 0.5f));
                return "loaded and ran";
            }
            catch (InvalidDataException e)
            {
                Assert.StartsWith("ONNX ", e.Message);
                return "refused at run time";
            }
        }
    }
}
