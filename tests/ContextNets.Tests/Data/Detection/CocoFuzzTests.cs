using System.Diagnostics;
using System.Text;
using ContextNets.Data.Detection;
using Xunit.Abstractions;

namespace ContextNets.Tests.Data.Detection;

/// <summary>
/// A seeded mutation fuzzer over COCO instances JSON (<see cref="CocoSample"/>): byte flips, JSON punctuation, digits,
/// signs and exponents planted, insertions, deletions, duplicated slices and truncations, and token swaps that keep the
/// JSON valid but break the schema (numbers turned negative, huge, fractional, strings, null; keys renamed). Every case
/// must parse (and then rasterize every mask) or be refused with a one-line <see cref="InvalidDataException"/> naming
/// the source: any other exception, a multi-line message or a case slower than a second fails the test.
/// </summary>
public sealed class CocoFuzzTests(ITestOutputHelper output)
{
    public const int Cases = 6_000;

    private static readonly byte[] Planted = "{}[],:\"\\0123456789-eE.n"u8.ToArray();
    private static readonly string[] Tokens = ["-1", "0", "1e400", "2.5", "\"7\"", "null", "[]", "{}", "true", "99999999999", "\"counts\"", "\"bbox\""];

    [Fact]
    public void MutatedFilesParseOrAreRefusedInOneLine()
    {
        var seed = Encoding.UTF8.GetBytes(CocoSample.Json);
        var rng = new Random(12);
        int read = 0, refused = 0;
        double slowest = 0;
        var total = Stopwatch.StartNew();
        for (int i = 0; i < Cases; i++)
        {
            string text = Encoding.UTF8.GetString(rng.Next(2) == 0 ? MutateBytes(seed, rng) : Encoding.UTF8.GetBytes(SwapToken(CocoSample.Json, rng)));
            var watch = Stopwatch.StartNew();
            try
            {
                var index = CocoIndex.Parse(text, $"case {i}");
                foreach (var image in index.Images)
                    foreach (var o in index.ObjectsOf(image.Id)) o.Shape.Rasterize(image.Height, image.Width, o.X1, o.Y1, o.X2, o.Y2);
                read++;
            }
            catch (InvalidDataException e)
            {
                Assert.StartsWith($"case {i}: ", e.Message);
                Assert.DoesNotContain('\n', e.Message);
                refused++;
            }
            catch (Exception e)
            {
                Assert.Fail($"case {i} threw {e.GetType().Name}, not InvalidDataException: {e}\n{text}");
            }
            slowest = Math.Max(slowest, watch.Elapsed.TotalSeconds);
            Assert.True(watch.Elapsed.TotalSeconds < 1, $"case {i} took {watch.Elapsed.TotalSeconds:F2} s.");
        }
        output.WriteLine($"{Cases} mutated files, {read} parsed, {refused} refused, slowest {slowest * 1000:F1} ms, {total.Elapsed.TotalSeconds:F1} s in all");
        Assert.True(refused > 0 && read > 0, $"{read} parsed and {refused} refused; a fuzzer that never (or always) breaks the file tests little.");
    }

    private static byte[] MutateBytes(byte[] seed, Random rng)
    {
        var bytes = new List<byte>(seed);
        int edits = 1 + rng.Next(4);
        for (int e = 0; e < edits && bytes.Count > 0; e++)
        {
            int at = rng.Next(bytes.Count);
            switch (rng.Next(6))
            {
                case 0: bytes[at] ^= (byte)(1 << rng.Next(7)); break;
                case 1: bytes[at] = Planted[rng.Next(Planted.Length)]; break;
                case 2: bytes.Insert(at, Planted[rng.Next(Planted.Length)]); break;
                case 3: bytes.RemoveRange(at, Math.Min(bytes.Count - at, 1 + rng.Next(8))); break;
                case 4: bytes.InsertRange(at, bytes.GetRange(rng.Next(at + 1), Math.Min(16, bytes.Count - at))); break;
                default: bytes.RemoveRange(at, bytes.Count - at); break;
            }
        }
        // Keep the text ASCII, so that every case reaches the parser instead of failing in decoding.
        return [.. bytes.Select(b => (byte)(b & 0x7f))];
    }

    /// <summary>Replaces one number, string or literal token with a schema-breaking one: the JSON stays well formed.</summary>
    private static string SwapToken(string json, Random rng)
    {
        var starts = new List<int>();
        for (int i = 1; i < json.Length; i++)
            if ((char.IsDigit(json[i]) || json[i] == '"') && !char.IsLetterOrDigit(json[i - 1]) && json[i - 1] != '"' && json[i - 1] != '.') starts.Add(i);
        int start = starts[rng.Next(starts.Count)], end = start + 1;
        if (json[start] == '"') end = json.IndexOf('"', start + 1) + 1;
        else while (end < json.Length && (char.IsDigit(json[end]) || json[end] == '.')) end++;
        return json[..start] + Tokens[rng.Next(Tokens.Length)] + json[end..];
    }
}
