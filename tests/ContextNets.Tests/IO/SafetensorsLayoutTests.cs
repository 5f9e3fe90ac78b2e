using System.Buffers.Binary;
using System.Text;
using ContextNets.IO;

namespace ContextNets.Tests.IO;

/// <summary>
/// What the reference safetensors implementation refuses, refused here too with a message naming the tensor:
/// headers that are not UTF-8, keys given twice, byte ranges with gaps, overlaps or bytes after the last tensor.
/// And what it reads, read here too: a file past 2 GiB.
/// </summary>
public sealed class SafetensorsLayoutTests
{
    private static readonly byte[] Eight = new byte[8];

    [Fact]
    public void InvalidUtf8InAKeyIsRefused()
    {
        var file = File("{\"w\xff\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}", Eight, latin1: true);
        Assert.Contains("not valid UTF-8", Refused(file));
    }

    [Fact]
    public void AnEscapeThatDecodesToNoTextIsRefused()
    {
        var file = File("{\"w\\udc00\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}", Eight);
        Assert.Contains("not valid Unicode", Refused(file));
    }

    [Fact]
    public void AKeyGivenTwiceIsRefusedThoughEachRecordIsValid()
    {
        var file = File("{\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}", Eight);
        Assert.Contains("'w' twice", Refused(file));
    }

    [Fact]
    public void OverlappingRangesAreRefused()
    {
        var file = File("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},\"b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}", Eight);
        Assert.Contains("overlaps", Refused(file));
    }

    [Fact]
    public void AGapBetweenRangesIsRefused()
    {
        var file = File("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},\"b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[8,12]}}", new byte[12]);
        Assert.Contains("gap after byte 4", Refused(file));
    }

    [Fact]
    public void BytesAfterTheLastTensorAreRefused()
    {
        var file = File("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}", Eight);
        Assert.Contains("4 more bytes follow", Refused(file));
    }

    [Fact]
    public void RangesInAnyOrderThatTileTheDataAreRead()
    {
        var data = new byte[12];
        BinaryPrimitives.WriteSingleLittleEndian(data, 1f);
        BinaryPrimitives.WriteSingleLittleEndian(data.AsSpan(4), 2f);
        BinaryPrimitives.WriteSingleLittleEndian(data.AsSpan(8), 3f);
        var file = SafetensorsFile.Parse(File("{\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]},\"e\":{\"dtype\":\"F32\",\"shape\":[0],\"data_offsets\":[12,12]},\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}", data));
        Assert.Equal([1f], file.Load("a").ToArray());
        Assert.Equal([2f, 3f], file.Load("b").ToArray());
        Assert.Empty(file.Load("e").ToArray());
    }

    [Fact]
    public void AFilePast2GiBIsMappedAndItsSmallTensorsRead()
    {
        const long big = (2L << 30) + 4096;
        string path = Path.Combine(Path.GetTempPath(), $"ctxnet-big-{Guid.NewGuid():N}.safetensors");
        var data = new byte[8];
        BinaryPrimitives.WriteSingleLittleEndian(data, 1.5f);
        BinaryPrimitives.WriteSingleLittleEndian(data.AsSpan(4), -2f);
        var head = File($"{{\"small\":{{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}},\"big\":{{\"dtype\":\"F32\",\"shape\":[{big / 4}],\"data_offsets\":[8,{8 + big}]}}}}", data);
        try
        {
            // A sparse file: the 2 GiB of zeros take no disk space and are never read.
            using (var fs = new FileStream(path, FileMode.CreateNew))
            {
                fs.Write(head);
                fs.SetLength(head.Length + big);
            }
            using var file = SafetensorsFile.Read(path);
            Assert.Equal([1.5f, -2f], file.Load("small").ToArray());
            Assert.Equal(new Shape((int)(big / 4)), file.ShapeOf("big"));
        }
        finally
        {
            System.IO.File.Delete(path);
        }
    }

    private static string Refused(byte[] file) =>
        Assert.Throws<InvalidDataException>(() => SafetensorsFile.Parse(file, "probe")).Message is var m && m.StartsWith("probe: ", StringComparison.Ordinal)
            ? m
            : throw new Xunit.Sdk.XunitException($"The message does not name the file: {m}");

    /// <summary>A safetensors file of <paramref name="json"/> (as Latin-1 bytes when it must hold a byte that is not UTF-8) and <paramref name="data"/>.</summary>
    private static byte[] File(string json, byte[] data, bool latin1 = false)
    {
        var h = latin1 ? Encoding.Latin1.GetBytes(json) : Encoding.UTF8.GetBytes(json);
        var len = new byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(len, (ulong)h.Length);
        return [.. len, .. h, .. data];
    }
}
