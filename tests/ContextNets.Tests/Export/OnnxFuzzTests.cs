using ContextNets.Tests.Support;
using ContextNets.Attention;
using ContextNets.Export;
using ContextNets.Models;
using ContextNets.NN;
using ContextNets.Tests.Data;
using Xunit.Abstractions;

namespace ContextNets.Tests.Export;

/// <summary>
/// The ONNX writer, fuzzed: seeded random configurations of every block and of small ResNets (block type, stem,
/// avg-down, avd, cardinality, attention hooks), random input shapes (odd sizes, 1x1 maps), batches, opsets 13..17,
/// dynamic or fixed batch, BatchNorm folded or not. Each is exported, parsed back with Google.Protobuf and checked by
/// <see cref="OnnxStructure"/>, its declared output shape against our forward's; every fifth case also runs on ONNX
/// Runtime against our forward (1e-4 of the output's scale, as <see cref="OnnxRuntimeTests"/>). The suite runs
/// <see cref="DefaultCases"/> cases from a fixed seed; CTXNET_ONNX_FUZZ_CASES and CTXNET_ONNX_FUZZ_SEED run a longer or other stream.
/// </summary>
[Collection(OnnxToolsCollection.Name)]
[Trait(Tier.Key, Tier.External)]
public sealed class OnnxFuzzTests(OnnxTools tools, ITestOutputHelper output) : IDisposable
{
    public const int DefaultCases = 300, RuntimeEvery = 5;
    private static readonly int Cases = int.TryParse(Environment.GetEnvironmentVariable("CTXNET_ONNX_FUZZ_CASES"), out int n) && n > 0 ? n : DefaultCases;
    private static readonly ulong Seed = ulong.TryParse(Environment.GetEnvironmentVariable("CTXNET_ONNX_FUZZ_SEED"), out ulong s) ? s : 20240607;
    private readonly TempDir _tmp = new();

    public void Dispose() => _tmp.Dispose();

    [Fact]
    public void RandomExportsAreSoundAndRunLikeOurForward()
    {
        var rng = new Rng(Seed);
        Initializers.Seed((int)(Seed % int.MaxValue));
        var kinds = new Dictionary<string, int>();
        int ran = 0;
        double worst = 0;
        for (int i = 0; i < Cases; i++)
        {
            var (module, input, what) = Draw(rng);
            using (module)
            {
                OnnxCases.Randomize(module, i);
                var options = new OnnxExportOptions
                {
                    InputShape = input,
                    Opset = rng.NextInt(13, 18),
                    DynamicBatch = rng.Chance(0.5),
                    FoldBatchNorm = rng.Chance(0.7),
                };
                string label = $"case {i}: {what} on {Shape.Format(input)}, opset {options.Opset}, dynamic {options.DynamicBatch}, fold {options.FoldBatchNorm}";
                var x = OnnxCases.Input(input, i);
                var (ours, shape) = OnnxCases.Forward(module, x, input);
                var bytes = OnnxCases.Bytes(module, options);
                var problems = OnnxStructure.Problems(bytes, options.Opset, input, shape, options.DynamicBatch);
                Assert.True(problems.Count == 0, $"{label}:\n  {string.Join("\n  ", problems)}");
                string kind = what.Split(' ')[0];
                kinds[kind] = kinds.GetValueOrDefault(kind) + 1;
                if (i % RuntimeEvery != 0) continue;

                string path = _tmp.File($"fuzz{i}.onnx");
                File.WriteAllBytes(path, bytes);
                int[] runShape = options.DynamicBatch ? [input[0] % 3 + 1, .. input[1..]] : input;
                var runInput = runShape.SequenceEqual(input) ? x : OnnxCases.Input(runShape, i + 1);
                var expected = runShape.SequenceEqual(input) ? ours : OnnxCases.Forward(module, runInput, runShape).values;
                var (theirs, _) = tools.Run(path, runInput, runShape);
                double err = OnnxCases.RelativeError(expected, theirs);
                worst = Math.Max(worst, err);
                Assert.True(err <= 1e-4, $"{label}: ONNX Runtime differs by {err:G3} of the output's scale");
                File.Delete(path);
                ran++;
            }
        }
        output.WriteLine($"{Cases} random exports (seed {Seed}) checked ({string.Join(", ", kinds.OrderBy(k => k.Key).Select(k => $"{k.Key} {k.Value}"))}); " +
            $"{ran} run on ONNX Runtime, worst relative error {worst:G3}");
    }

    private static (Module module, int[] input, string what) Draw(Rng rng)
    {
        int n = rng.NextInt(1, 4);
        switch (rng.NextInt(7))
        {
            case 0:
            {
                int c = 4 * rng.NextInt(1, 9);
                var pooling = rng.Chance(0.5) ? ContextPooling.Attention : ContextPooling.Average;
                var fusion = (ContextFusion)rng.NextInt(1, 4);
                double ratio = new[] { 0.25, 0.125, 0.5 }[rng.NextInt(3)];
                float eps = rng.Chance(0.5) ? 1e-6f : 1e-5f;
                return (new GlobalContext(c, pooling, fusion, ratio, lnEps: eps), [n, c, rng.NextInt(1, 10), rng.NextInt(1, 10)], $"gc {pooling} {fusion} r {ratio}");
            }
            case 1:
            {
                int c = 4 * rng.NextInt(1, 9);
                return (new SimplifiedNonLocal(c), [n, c, rng.NextInt(1, 10), rng.NextInt(1, 10)], "snl");
            }
            case 2:
            {
                int c = 4 * rng.NextInt(1, 12), divisor = new[] { 1, 4, 8 }[rng.NextInt(3)];
                return (new SqueezeExcite(c, 1.0 / rng.NextInt(2, 17), rdDivisor: divisor), [n, c, rng.NextInt(1, 10), rng.NextInt(1, 10)], $"se divisor {divisor}");
            }
            case 3:
            {
                int c = 4 * rng.NextInt(1, 7);
                var mode = (Pairwise)rng.NextInt(4);
                bool sub = rng.Chance(0.5), norm = rng.Chance(0.4), scale = rng.Chance(0.5);
                int lo = sub ? 2 : 1;
                return (new NonLocal(c, mode, new[] { 1, 2, 4 }[rng.NextInt(3)], sub, scale, norm), [n, c, rng.NextInt(lo, 10), rng.NextInt(lo, 10)],
                    $"nl {mode.Name()} sub {sub} scale {scale} norm {norm}");
            }
            case 4:
            {
                int radix = rng.NextInt(1, 5), groups = rng.NextInt(1, 3), kernel = rng.Chance(0.7) ? 3 : 1, stride = rng.NextInt(1, 3);
                int cin = groups * radix * rng.NextInt(1, 5), cout = groups * rng.NextInt(1, 9);
                return (new SplitAttention(cin, cout, kernel, stride, groups, radix), [n, cin, rng.NextInt(2, 10), rng.NextInt(2, 10)],
                    $"splat radix {radix} groups {groups} k {kernel} stride {stride}");
            }
            case 5:
            {
                int paths = rng.NextInt(2, 4), groups = rng.NextInt(1, 3), stride = rng.NextInt(1, 3);
                bool split = rng.Chance(0.6), keep = rng.Chance(0.6);
                int cin = paths * groups * rng.NextInt(1, 5), cout = groups * 4 * rng.NextInt(1, 4);
                int[] kernels = [.. Enumerable.Range(0, paths).Select(p => 3 + 2 * p)];
                return (new SelectiveKernel(cin, cout, kernels, stride, groups: groups, rdDivisor: 4, keep3x3: keep, splitInput: split),
                    [n, cin, rng.NextInt(3, 10), rng.NextInt(3, 10)], $"sk paths {paths} groups {groups} stride {stride} split {split} keep3x3 {keep}");
            }
            default:
                return SmallResNet(rng, n);
        }
    }

    /// <summary>A two-stage ResNet with a random block type, stem, shortcut style and attention hooks.</summary>
    private static (Module, int[], string) SmallResNet(Rng rng, int n)
    {
        var block = (BlockType)rng.NextInt(4);
        var stem = (StemType)rng.NextInt(5);
        bool bottleneck = block is BlockType.Bottleneck or BlockType.SelectiveKernelBottleneck;
        int cardinality = bottleneck && rng.Chance(0.5) ? 2 : 1;
        var config = new ResNetConfig
        {
            Block = block,
            Layers = [rng.NextInt(1, 3), 2],
            Channels = [8, 16],
            Stem = stem,
            StemWidth = 8,
            NumClasses = rng.NextInt(2, 12),
            InChannels = rng.NextInt(1, 4),
            AvgDown = rng.Chance(0.5),
            Cardinality = cardinality,
            Avd = block == BlockType.Bottleneck && rng.Chance(0.5),
            ZeroInitLast = rng.Chance(0.5),
        };
        if (block is BlockType.SelectiveKernelBasic or BlockType.SelectiveKernelBottleneck)
            config = config with { MiddleConv = new MiddleConv((i, o, s, g, d) => new SelectiveKernel(i, o, stride: s, dilation: d, groups: g, rdRatio: 0.25, rdDivisor: 4, splitInput: true)) };
        else if (rng.Chance(0.4))
            config = config with { MiddleConv = new MiddleConv((i, o, s, g, d) => new SplitAttention(i, o, 3, s, g, radix: 2)) };
        string hooks = "";
        switch (rng.NextInt(4))
        {
            case 0:
                config = config with { AttentionAfterLastNorm = Placement.Everywhere(ch => new SqueezeExcite(ch, rdDivisor: 4)) };
                hooks = " se";
                break;
            case 1:
                config = config with { AttentionAfterLastNorm = Placement.OnStages(ch => new GlobalContext(ch, rdRatio: 0.25), 2) };
                hooks = " gc";
                break;
            case 2:
                config = config with { AfterBlock = Placement.BeforeLastBlock(2, ch => new NonLocal(ch, subSample: rng.Chance(0.5), norm: true)) };
                hooks = " nl";
                break;
            default:
                config = config with { AttentionAfterConv2 = Placement.Everywhere(ch => new SimplifiedNonLocal(ch)) };
                hooks = " snl-after-conv2";
                break;
        }
        if (config.Avd) config = config with { AvdFirst = rng.Chance(0.5) };
        int size = stem == StemType.Cifar ? rng.NextInt(8, 20) : rng.NextInt(24, 48);
        return (new ResNet(config), [n, config.InChannels, size, size + rng.NextInt(0, 5)],
            $"resnet {block} {stem} avgdown {config.AvgDown} avd {config.Avd} card {cardinality}{(config.MiddleConv is null ? "" : " middle")}{hooks}");
    }
}
