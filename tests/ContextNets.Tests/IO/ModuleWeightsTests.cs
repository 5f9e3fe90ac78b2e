using System.Buffers.Binary;
using System.Text;
using System.Text.Json;
using ContextNets.Autograd;
using ContextNets.IO;
using ContextNets.Models;

namespace ContextNets.Tests.IO;

/// <summary>Save and load of whole models as safetensors under timm keys: round trips, strictness, conversions, bad shapes.</summary>
public sealed class ModuleWeightsTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("ctxnet-weights-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void SaveThenLoadGivesTheSameLogits()
    {
        string path = Path.Combine(_dir, "gc.safetensors");
        using var a = Zoo.Create("gc_resnet20");
        using var b = Zoo.Create("gc_resnet20");
        // Non-zero GC transforms and BN statistics, so that every saved tensor matters.
        foreach (var (_, t) in a.StateDict()) RandomFill(t, 0.3f);
        a.Save(path);
        var report = b.Load(path);
        Assert.True(report.IsComplete);
        foreach (var (k, t) in a.StateDict()) Assert.Equal(t.ToArray(), b.StateDict()[k].ToArray());
        a.Eval();
        b.Eval();
        using var scope = Tensor.Scope();
        using var noGrad = GradMode.NoGrad();
        var x = Tensor.Randn([2, 1, 28, 28], 3);
        Assert.Equal(a.Forward(x).ToArray(), b.Forward(x).ToArray());
    }

    [Fact]
    public void StrictLoadingRefusesMissingAndUnexpectedKeysAndNonStrictReportsThem()
    {
        using var model = Zoo.Create("resnet20");
        var sd = model.StateDict();
        var file = sd.Where(kv => kv.Key != "fc.bias").ToDictionary(kv => kv.Key, kv => kv.Value);
        using var extra = Tensor.Zeros([3]);
        file["head.extra"] = extra;
        string path = Path.Combine(_dir, "partial.safetensors");
        SafetensorsFile.Write(path, file);

        var ex = Assert.Throws<InvalidDataException>(() => model.Load(path));
        Assert.Contains("fc.bias", ex.Message);
        Assert.Contains("head.extra", ex.Message);
        Assert.Contains(path, ex.Message);

        var report = model.Load(path, strict: false);
        Assert.Equal(["fc.bias"], report.Missing);
        Assert.Equal(["head.extra"], report.Unexpected);
    }

    [Fact]
    public void AShapeMismatchNamesTheKeyAndBothShapesAndCopiesNothing()
    {
        using var ten = Zoo.Create("resnet20");
        using var hundred = Zoo.Create("resnet20", numClasses: 100);
        string path = Path.Combine(_dir, "hundred.safetensors");
        hundred.Save(path);
        var before = ten.StateDict()["conv1.weight"].ToArray();
        var ex = Assert.Throws<InvalidDataException>(() => ten.Load(path, strict: false));
        Assert.Contains("'fc.weight'", ex.Message);
        Assert.Contains("[100, 64]", ex.Message);
        Assert.Contains("[10, 64]", ex.Message);
        Assert.Equal(before, ten.StateDict()["conv1.weight"].ToArray());
    }

    [Fact]
    public void HalfPrecisionDoubleAndCountersLoadAsPyTorchSavesThem()
    {
        using var model = Zoo.Create("resnet20");
        var sd = model.StateDict();
        // Every tensor in a different dtype in turn, the values exactly representable in each.
        var dtypes = new[] { "F16", "BF16", "F64", "F32" };
        var entries = new Dictionary<string, (string dtype, int[] shape, byte[] data)>();
        var expected = new Dictionary<string, float[]>();
        int i = 0;
        foreach (var (key, t) in sd.OrderBy(kv => kv.Key, StringComparer.Ordinal))
        {
            string dtype = dtypes[i++ % dtypes.Length];
            var values = Enumerable.Range(0, t.Numel).Select(j => (float)((j * 7 + i) % 33 - 16) / 8f).ToArray();
            // A variance is never negative (and loading refuses one that is).
            if (key.EndsWith(".running_var", StringComparison.Ordinal)) values = Array.ConvertAll(values, MathF.Abs);
            expected[key] = values;
            entries[key] = (dtype, t.Shape.Dims.ToArray(), Encode(values, dtype));
        }
        entries["bn1.num_batches_tracked"] = ("I64", [], BitConverter.GetBytes(1234L));
        string path = Path.Combine(_dir, "mixed.safetensors");
        File.WriteAllBytes(path, Build(entries));

        Assert.True(model.Load(path).IsComplete);
        foreach (var (key, values) in expected) Assert.Equal(values, model.StateDict()[key].ToArray());
    }

    private static void RandomFill(Tensor t, float scale)
    {
        var rng = new Random(t.Numel);
        var span = t.Span;
        for (int j = 0; j < span.Length; j++) span[j] = (float)(rng.NextDouble() * 2 - 1) * scale + (t.Shape.Rank == 1 ? 1f : 0f);
    }

    private static byte[] Encode(float[] values, string dtype) => dtype switch
    {
        "F32" => values.SelectMany(BitConverter.GetBytes).ToArray(),
        "F64" => values.SelectMany(v => BitConverter.GetBytes((double)v)).ToArray(),
        "F16" => values.SelectMany(v => BitConverter.GetBytes((Half)v)).ToArray(),
        "BF16" => values.SelectMany(v => BitConverter.GetBytes((ushort)(BitConverter.SingleToUInt32Bits(v) >> 16))).ToArray(),
        _ => throw new ArgumentException(dtype),
    };

    private static byte[] Build(Dictionary<string, (string dtype, int[] shape, byte[] data)> entries)
    {
        var header = new Dictionary<string, object>();
        long offset = 0;
        foreach (var (k, (dtype, shape, data)) in entries)
        {
            header[k] = new { dtype, shape, data_offsets = new[] { offset, offset + data.Length } };
            offset += data.Length;
        }
        var json = Encoding.UTF8.GetBytes(JsonSerializer.Serialize(header));
        var bytes = new byte[8 + json.Length + offset];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, (ulong)json.Length);
        json.CopyTo(bytes, 8);
        long at = 8 + json.Length;
        foreach (var (_, (_, _, data)) in entries)
        {
            data.CopyTo(bytes, at);
            at += data.Length;
        }
        return bytes;
    }
}
