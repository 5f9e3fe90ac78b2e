using ContextNets.Tests.Support;
using System.Diagnostics;
using ContextNets.IO.Torch;
using Xunit.Abstractions;

namespace ContextNets.Tests.IO.Torch;

/// <summary>
/// A seeded mutation fuzzer over real torch.save files (make_pth_cases.py) and one made here: bit flips, random and
/// boundary bytes, insertions, deletions, duplicated slices and truncations, of the whole file (biased towards the
/// zip directory), of data.pkl alone (re-zipped with a correct CRC, so that the unpickler sees every mutation), and
/// of legacy-format files. Every case must either read completely (every tensor loaded) or be refused with an
/// <see cref="InvalidDataException"/>: any other exception, a case slower than a second, or more managed allocation
/// than 64 times the file's size (plus 1 MiB) fails the test.
/// </summary>
[Trait(Tier.Key, Tier.External)]
public sealed class TorchFuzzTests(PthFileCases cases, ITestOutputHelper output) : IClassFixture<PthFileCases>
{
    public const int ZipCases = 10_000, PickleCases = 10_000, LegacyCases = 5_000;

    private static readonly string[] ZipSeeds = ["dtypes.pth", "views.pth", "shared.pth", "wrapped.pth", "proto4.pth"];
    private static readonly string[] LegacySeeds = ["legacy.pth", "legacy_wrapped.pth"];

    // The opcodes a mutation may plant: the accepted ones and some refused ones.
    private static readonly byte[] Opcodes =
    [
        .. "().t]ae}suNJKMGXqrhjcQRbiopSV0gI"u8,
        0x85, 0x86, 0x87, 0x88, 0x89, 0x8a, 0x8c, 0x94, 0x93, 0x80, 0x95,
    ];

    [Fact]
    public void MutatedZipFilesReadOrAreRefused()
    {
        var seeds = ZipSeeds.Select(f => File.ReadAllBytes(cases.Path(f))).Append(TorchFiles.Zip(TorchFiles.StateDict(
            new TensorSpec("w", "0", "FloatStorage", 6, 1, [2, 2], [1, 2])), new Dictionary<string, byte[]> { ["0"] = TorchFiles.Floats(1, 2, 3, 4, 5, 6) })).ToList();
        Run("zip", ZipCases, 1, rng =>
        {
            var file = seeds[rng.Next(seeds.Count)];
            // Half the mutations land in the last 25% of the file: the central directory and end records.
            int from = rng.Next(2) == 0 ? file.Length * 3 / 4 : 0;
            return Mutate(file, rng, from);
        });
    }

    [Fact]
    public void MutatedPicklesReadOrAreRefused()
    {
        var seeds = ZipSeeds.Select(f => TorchFiles.Members(File.ReadAllBytes(cases.Path(f)))).ToList();
        Run("pickle", PickleCases, 2, rng =>
        {
            var members = seeds[rng.Next(seeds.Count)];
            int pkl = members.FindIndex(m => m.name.EndsWith("/data.pkl", StringComparison.Ordinal));
            var mutated = members.ToList();
            mutated[pkl] = (members[pkl].name, Mutate(members[pkl].data, rng, 0));
            return TorchFiles.StoredZipOf(mutated);
        });
    }

    [Fact]
    public void MutatedLegacyFilesReadOrAreRefused()
    {
        var seeds = LegacySeeds.Select(f => File.ReadAllBytes(cases.Path(f))).ToList();
        Run("legacy", LegacyCases, 3, rng => Mutate(seeds[rng.Next(seeds.Count)], rng, 0));
    }

    private void Run(string what, int count, int seed, Func<Random, byte[]> make)
    {
        var rng = new Random(seed);
        int read = 0, refused = 0;
        double slowest = 0;
        var total = Stopwatch.StartNew();
        var work = Task.Run(() =>
        {
            for (int i = 0; i < count; i++)
            {
                var file = make(rng);
                var watch = Stopwatch.StartNew();
                long before = GC.GetAllocatedBytesForCurrentThread();
                try
                {
                    TorchHostileTests.ReadAll(file, $"case {i}");
                    read++;
                }
                catch (InvalidDataException e)
                {
                    Assert.StartsWith($"case {i}", e.Message);
                    refused++;
                }
                catch (Exception e)
                {
                    Assert.Fail($"{what} case {i} (seed {seed}) threw {e.GetType().Name}, not InvalidDataException: {e}");
                }
                long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
                Assert.True(allocated <= 64L * file.Length + (1 << 20), $"{what} case {i} (seed {seed}) allocated {allocated} bytes for a {file.Length}-byte file.");
                slowest = Math.Max(slowest, watch.Elapsed.TotalSeconds);
                Assert.True(watch.Elapsed.TotalSeconds < 1, $"{what} case {i} (seed {seed}) took {watch.Elapsed.TotalSeconds:F2} s.");
            }
        });
        Assert.True(work.Wait(TimeSpan.FromMinutes(3)), $"{what}: the fuzzing did not finish in 3 minutes (a hang).");
        output.WriteLine($"{what}: {count} mutated files, {read} read, {refused} refused, slowest {slowest * 1000:F1} ms, {total.Elapsed.TotalSeconds:F1} s in all");
        Assert.Equal(count, read + refused);
        Assert.True(refused > 0 && read > 0, $"{what}: {read} read and {refused} refused; a fuzzer that never (or always) breaks the file tests little.");
    }

    /// <summary>One to three mutations of a copy of <paramref name="data"/>, at or after <paramref name="from"/>.</summary>
    private static byte[] Mutate(byte[] data, Random rng, int from)
    {
        var bytes = data.ToList();
        int n = 1 + rng.Next(3);
        for (int k = 0; k < n && bytes.Count > from; k++)
        {
            int at = from + rng.Next(bytes.Count - from);
            switch (rng.Next(8))
            {
                case 0: bytes[at] ^= (byte)(1 << rng.Next(8)); break;
                case 1: bytes[at] = (byte)rng.Next(256); break;
                case 2: bytes[at] = new byte[] { 0, 0xff, 0x7f, 0x80, 0x01, 0xfe }[rng.Next(6)]; break;
                case 3: bytes[at] = Opcodes[rng.Next(Opcodes.Length)]; break;
                case 4: bytes.InsertRange(at, Enumerable.Range(0, 1 + rng.Next(8)).Select(_ => (byte)rng.Next(256))); break;
                case 5: bytes.RemoveRange(at, Math.Min(1 + rng.Next(8), bytes.Count - at)); break;
                case 6:
                {
                    int length = Math.Min(1 + rng.Next(32), bytes.Count - at);
                    bytes.InsertRange(from + rng.Next(bytes.Count - from), bytes.GetRange(at, length));
                    break;
                }
                default:
                    if (rng.Next(4) == 0) bytes.RemoveRange(at, bytes.Count - at);
                    else
                    {
                        // A boundary value over a 4-byte field (a length, a count, an offset).
                        var v = BitConverter.GetBytes(new uint[] { 0xffffffff, 0x7fffffff, 0x80000000, 0x10000 }[rng.Next(4)]);
                        for (int j = 0; j < 4 && at + j < bytes.Count; j++) bytes[at + j] = v[j];
                    }
                    break;
            }
        }
        return [.. bytes];
    }
}
