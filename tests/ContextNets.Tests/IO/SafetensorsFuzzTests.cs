using System.Diagnostics;
using System.Text;
using ContextNets.IO;
using ContextNets.Models.Inference;
using ContextNets.Tests.LowPrecision;
using Xunit.Abstractions;

namespace ContextNets.Tests.IO;

/// <summary>
/// A seeded mutation fuzzer over safetensors files (written here: float32 and int64 tensors, metadata, scalars and
/// empty tensors): bit flips, random and boundary bytes, JSON punctuation, bytes that are not
/// UTF-8, digits in the header, insertions, deletions, duplicated slices and truncations, mostly in the 8-byte length
/// and the header. Every case must either read completely (every tensor loaded) or be refused with an
/// <see cref="InvalidDataException"/> that names the file: any other exception, or a case slower than a second,
/// fails the test.
/// </summary>
public sealed class SafetensorsFuzzTests(ITestOutputHelper output)
{
    public const int Cases = 24_000;

    private static readonly byte[] Planted = [.. "{}[],:\"\\0123456789-eE.u"u8, 0xc0, 0xc3, 0xe2, 0xed, 0xf4, 0xff, 0x80, 0xa0, 0x00, 0x7f];

    [Fact]
    public async Task MutatedFilesReadOrAreRefused()
    {
        var seeds = Seeds();
        var rng = new Random(11);
        int read = 0, refused = 0;
        double slowest = 0;
        var total = Stopwatch.StartNew();
        var work = Task.Run(() =>
        {
            for (int i = 0; i < Cases; i++)
            {
                var (file, headerEnd) = seeds[rng.Next(seeds.Count)];
                var bytes = Mutate(file, rng, rng.Next(4) == 0 ? file.Length : headerEnd);
                var watch = Stopwatch.StartNew();
                try
                {
                    using var parsed = SafetensorsFile.Parse(bytes, $"case {i}");
                    foreach (var key in parsed.Keys) parsed.Load(key).Dispose();
                    // A quantized model's scales must parse whole or be refused by the same rule.
                    if (parsed.Metadata.TryGetValue(QuantizationTable.MetadataKey, out var scales)) QuantizationTable.Parse(scales, $"case {i}");
                    read++;
                }
                catch (InvalidDataException e)
                {
                    Assert.StartsWith($"case {i}: ", e.Message);
                    refused++;
                }
                catch (Exception e)
                {
                    Assert.Fail($"case {i} threw {e.GetType().Name}, not InvalidDataException: {e}");
                }
                slowest = Math.Max(slowest, watch.Elapsed.TotalSeconds);
                Assert.True(watch.Elapsed.TotalSeconds < 1, $"case {i} took {watch.Elapsed.TotalSeconds:F2} s.");
            }
        });
        // A hang ends in a TimeoutException, which fails the test.
        await work.WaitAsync(TimeSpan.FromMinutes(2));
        output.WriteLine($"{Cases} mutated files, {read} read, {refused} refused, slowest {slowest * 1000:F1} ms, {total.Elapsed.TotalSeconds:F1} s in all");
        Assert.Equal(Cases, read + refused);
        Assert.True(refused > 0 && read > 0, $"{read} read and {refused} refused; a fuzzer that never (or always) breaks the file tests little.");
    }

    /// <summary>The seed files, each with the end of its header: most mutations land before it.</summary>
    private static List<(byte[] file, int headerEnd)> Seeds()
    {
        using var scope = Tensor.Scope();
        var files = new List<byte[]>
        {
            Written(new() { ["w"] = Tensor.Randn([2, 3], 1), ["b"] = Tensor.Randn([3], 2), ["empty"] = Tensor.Zeros([0, 4]) }, new() { ["format"] = "pt" }, null),
            Written(new() { ["labels"] = Tensor.FromArray([1f, 7f, -2f], 3), ["s"] = Tensor.Scalar(0.5f) }, null, ["labels"]),
            Written(new() { ["layer.0.weight"] = Tensor.Randn([4, 2, 3, 3], 3), ["layer.0.bias"] = Tensor.Randn([4], 4) }, new() { ["block"] = "se", ["config"] = "{\"channels\": 4}" }, null),
            Written(new() { ["conv1.weight"] = Tensor.Randn([4, 1, 3, 3], 5) }, new() { ["format"] = "pt", [QuantizationTable.MetadataKey] = QuantizationTableTests.Sample.ToJson() }, null),
        };
        return [.. files.Select(f => (f, 8 + (int)BitConverter.ToUInt64(f, 0)))];
    }

    private static byte[] Written(Dictionary<string, Tensor> tensors, Dictionary<string, string>? metadata, HashSet<string>? int64)
    {
        using var stream = new MemoryStream();
        SafetensorsFile.WriteTo(stream, tensors, metadata, int64);
        return stream.ToArray();
    }

    /// <summary>One to three mutations of a copy of <paramref name="data"/>, before <paramref name="until"/>.</summary>
    private static byte[] Mutate(byte[] data, Random rng, int until)
    {
        var bytes = data.ToList();
        int n = 1 + rng.Next(3);
        for (int k = 0; k < n && bytes.Count > 0; k++)
        {
            int at = rng.Next(Math.Min(until, bytes.Count));
            switch (rng.Next(8))
            {
                case 0: bytes[at] ^= (byte)(1 << rng.Next(8)); break;
                case 1: bytes[at] = (byte)rng.Next(256); break;
                case 2: bytes[at] = Planted[rng.Next(Planted.Length)]; break;
                case 3: bytes.InsertRange(at, Encoding.ASCII.GetBytes(rng.Next(-3, 1 << 20).ToString(System.Globalization.CultureInfo.InvariantCulture))); break;
                case 4: bytes.InsertRange(at, Enumerable.Range(0, 1 + rng.Next(8)).Select(_ => Planted[rng.Next(Planted.Length)])); break;
                case 5: bytes.RemoveRange(at, Math.Min(1 + rng.Next(8), bytes.Count - at)); break;
                case 6:
                {
                    int length = Math.Min(1 + rng.Next(48), bytes.Count - at);
                    bytes.InsertRange(rng.Next(Math.Min(until, bytes.Count)), bytes.GetRange(at, length));
                    break;
                }
                default:
                    if (rng.Next(3) == 0) bytes.RemoveRange(at, bytes.Count - at);
                    else
                    {
                        // A boundary value over the length field or a stretch of the header.
                        var v = BitConverter.GetBytes(new ulong[] { ulong.MaxValue, 0x7fffffff, 0x80000000, 0, 8 }[rng.Next(5)]);
                        for (int j = 0; j < 8 && at + j < bytes.Count; j++) bytes[at + j] = v[j];
                    }
                    break;
            }
        }
        return [.. bytes];
    }
}
