using System.Buffers.Binary;
using System.Text;
using ContextNets.IO;
using ContextNets.Tests.Support;

namespace ContextNets.Tests.IO;

public class SafetensorsTests
{
    [Fact]
    public void WriteThenReadGivesTheSameTensorsAndMetadata()
    {
        string path = Path.Combine(Path.GetTempPath(), $"ctxnet-{Guid.NewGuid():N}.safetensors");
        try
        {
            using var scope = Tensor.Scope();
            var a = Tensor.Randn([2, 3, 4], 1);
            var b = Tensor.Randn([5], 2);
            SafetensorsFile.Write(path, new Dictionary<string, Tensor> { ["a"] = a, ["b.weight"] = b }, new Dictionary<string, string> { ["k"] = "v" });
            var file = SafetensorsFile.Read(path);
            Assert.Equal(a.ToArray(), file.Load("a").ToArray());
            Assert.Equal(b.ToArray(), file.Load("b.weight").ToArray());
            Assert.Equal(new Shape(2, 3, 4), file.ShapeOf("a"));
            Assert.Equal("v", file.Metadata["k"]);
            Assert.Empty(Directory.GetFiles(Path.GetTempPath(), $".{Path.GetFileName(path)}*.tmp"));
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void ReadsThePyTorchVectors()
    {
        var file = SafetensorsFile.Read(TestData.Block("se"));
        Assert.Equal(new Shape(2, 64, 7, 7), file.ShapeOf("x"));
        Assert.Equal("F32", file.DTypeOf("x"));
        Assert.Contains("param.fc1.weight", file.Keys);
    }

    [Fact]
    public void ConvertsHalfBFloatDoubleAndInt64()
    {
        var bytes = Build(new()
        {
            ["h"] = ("F16", [2], [0x00, 0x3C, 0x00, 0xC0]),              // 1.0, -2.0
            ["bf"] = ("BF16", [1], [0x40, 0x40]),                         // 3.0
            ["d"] = ("F64", [1], BitConverter.GetBytes(0.5)),
            ["i"] = ("I64", [1], BitConverter.GetBytes(7L)),
        });
        var file = SafetensorsFile.Parse(bytes);
        using var scope = Tensor.Scope();
        Assert.Equal([1f, -2f], file.Load("h").ToArray());
        Assert.Equal([3f], file.Load("bf").ToArray());
        Assert.Equal([0.5f], file.Load("d").ToArray());
        Assert.Equal([7f], file.Load("i").ToArray());
    }

    [Fact]
    public void HostileAndTruncatedFilesGiveClearErrors()
    {
        var good = Build(new() { ["w"] = ("F32", [2], new byte[8]) });
        Assert.Contains("too short", Assert.Throws<InvalidDataException>(() => SafetensorsFile.Parse(good[..5])).Message);
        Assert.Contains("truncated", Assert.Throws<InvalidDataException>(() => SafetensorsFile.Parse(good[..20])).Message);

        var huge = (byte[])good.Clone();
        BinaryPrimitives.WriteUInt64LittleEndian(huge, ulong.MaxValue);
        Assert.Throws<InvalidDataException>(() => SafetensorsFile.Parse(huge));

        var cut = good[..^4];
        Assert.Contains("outside", Assert.Throws<InvalidDataException>(() => SafetensorsFile.Parse(cut)).Message);

        var mismatch = Build(new() { ["w"] = ("F32", [3], new byte[8]) });
        Assert.Contains("needs 12 bytes", Assert.Throws<InvalidDataException>(() => SafetensorsFile.Parse(mismatch)).Message);

        var overflow = Build(new() { ["w"] = ("F32", [int.MaxValue, int.MaxValue, 4], new byte[8]) });
        Assert.Throws<InvalidDataException>(() => SafetensorsFile.Parse(overflow));

        var dtype = Build(new() { ["w"] = ("U8", [8], new byte[8]) });
        Assert.Contains("U8", Assert.Throws<InvalidDataException>(() => SafetensorsFile.Parse(dtype)).Message);

        var notJson = Header("{not json");
        Assert.Contains("JSON", Assert.Throws<InvalidDataException>(() => SafetensorsFile.Parse(notJson)).Message);
        Assert.Throws<InvalidDataException>(() => SafetensorsFile.Parse(Header("{\"w\": {\"dtype\": \"F32\"}}")));
        Assert.Throws<FileNotFoundException>(() => SafetensorsFile.Read("/nonexistent/x.safetensors"));
    }

    private static byte[] Build(Dictionary<string, (string dtype, long[] shape, byte[] data)> tensors)
    {
        var sb = new StringBuilder("{");
        long off = 0;
        var blobs = new List<byte>();
        foreach (var (k, (dt, shape, data)) in tensors)
        {
            if (sb.Length > 1) sb.Append(',');
            sb.Append($"\"{k}\":{{\"dtype\":\"{dt}\",\"shape\":[{string.Join(",", shape)}],\"data_offsets\":[{off},{off + data.Length}]}}");
            off += data.Length;
            blobs.AddRange(data);
        }
        sb.Append('}');
        return [.. Header(sb.ToString()), .. blobs];
    }

    private static byte[] Header(string json)
    {
        var h = Encoding.UTF8.GetBytes(json);
        var len = new byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(len, (ulong)h.Length);
        return [.. len, .. h];
    }
}
