using System.Buffers.Binary;
using System.Diagnostics;
using ContextNets.Data.Segmentation;
using Xunit.Abstractions;

namespace ContextNets.Tests.Data.Segmentation;

/// <summary>
/// A seeded mutation fuzzer over label-map PNGs (an 8-bit palette map in one IDAT chunk and a 4-bit one in two, rows
/// filtered with every filter type): byte flips, planted bytes, insertions, deletions, duplicated slices and
/// truncations anywhere in the file. Half of the cases then rewrite every chunk's CRC, so that the damage gets past
/// the CRC check into the header, the inflater, the filters and the unpacking. Every case must decode (to width x height
/// labels) or be refused with a one-line <see cref="InvalidDataException"/> naming the source: any other exception,
/// a multi-line message or a case slower than a second fails the test.
/// </summary>
public sealed class LabelMapFuzzTests(ITestOutputHelper output)
{
    public const int Cases = 1_500;

    private static readonly byte[] Planted = [0, 1, 2, 3, 4, 5, 8, 0x7f, 0x80, 0xff, (byte)'I', (byte)'D', (byte)'A', (byte)'T'];

    [Fact]
    public void MutatedMapsDecodeOrAreRefusedInOneLine()
    {
        byte[][] seeds = [LabelMapData.LabelMap(0, 23, 9), Packed4Bit()];
        var rng = new Random(13);
        int read = 0, refused = 0;
        double slowest = 0;
        var total = Stopwatch.StartNew();
        for (int i = 0; i < Cases; i++)
        {
            var png = Mutate(seeds[rng.Next(seeds.Length)], rng);
            if (rng.Next(2) == 0) FixCrcs(png);
            var watch = Stopwatch.StartNew();
            try
            {
                var (labels, w, h) = LabelMapPng.Decode(png, $"case {i}");
                Assert.Equal((long)w * h, labels.Length);
                read++;
            }
            catch (InvalidDataException e)
            {
                Assert.StartsWith($"case {i}: the label map ", e.Message);
                Assert.DoesNotContain('\n', e.Message);
                refused++;
            }
            catch (Exception e)
            {
                Assert.Fail($"case {i} threw {e.GetType().Name}, not InvalidDataException: {e}\n{Convert.ToHexString(png)}");
            }
            slowest = Math.Max(slowest, watch.Elapsed.TotalSeconds);
            Assert.True(watch.Elapsed.TotalSeconds < 1, $"case {i} took {watch.Elapsed.TotalSeconds:F2} s.");
        }
        output.WriteLine($"{Cases} mutated maps, {read} decoded, {refused} refused, slowest {slowest * 1000:F1} ms, {total.Elapsed.TotalSeconds:F1} s in all");
        Assert.True(refused > 0 && read > 0, $"{read} decoded and {refused} refused; a fuzzer that never (or always) breaks the file tests little.");
    }

    private static byte[] Packed4Bit()
    {
        var packed = new byte[8 * 6];
        for (int p = 0; p < packed.Length; p++) packed[p] = (byte)(p * 37);
        return PngWriter.Encode(16, 6, PngWriter.Palette, packed, bitDepth: 4, palette: new byte[48], filter: PngWriter.EveryFilter, idatChunks: 2);
    }

    private static byte[] Mutate(byte[] seed, Random rng)
    {
        var bytes = new List<byte>(seed);
        int edits = 1 + rng.Next(3);
        for (int e = 0; e < edits && bytes.Count > 0; e++)
        {
            int at = rng.Next(bytes.Count);
            switch (rng.Next(6))
            {
                case 0: bytes[at] ^= (byte)(1 << rng.Next(8)); break;
                case 1: bytes[at] = Planted[rng.Next(Planted.Length)]; break;
                case 2: bytes.Insert(at, Planted[rng.Next(Planted.Length)]); break;
                case 3: bytes.RemoveRange(at, Math.Min(bytes.Count - at, 1 + rng.Next(8))); break;
                case 4: bytes.InsertRange(at, bytes.GetRange(rng.Next(at + 1), Math.Min(16, bytes.Count - at))); break;
                default: bytes.RemoveRange(at, bytes.Count - at); break;
            }
        }
        return [.. bytes];
    }

    /// <summary>Rewrites the CRC of every chunk that is still whole, walking the chunk lengths as they now read.</summary>
    private static void FixCrcs(byte[] png)
    {
        int at = 8;
        while (png.Length - at >= 12)
        {
            long size = BinaryPrimitives.ReadUInt32BigEndian(png.AsSpan(at));
            if (size > png.Length - at - 12) return;
            BinaryPrimitives.WriteUInt32BigEndian(png.AsSpan(at + 8 + (int)size), PngWriter.Crc32(png[(at + 4)..(at + 8 + (int)size)]));
            at += 12 + (int)size;
        }
    }
}
