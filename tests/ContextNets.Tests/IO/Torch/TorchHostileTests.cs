using ContextNets.Tests.Support;
using System.Buffers.Binary;
using ContextNets.IO.Torch;

namespace ContextNets.Tests.IO.Torch;

/// <summary>
/// Hand-made hostile files: each must be refused with an <see cref="InvalidDataException"/> whose message says what
/// and where, before anything runs and without allocating more than the file's size warrants.
/// </summary>
[Trait(Tier.Key, Tier.External)]
public sealed class TorchHostileTests(PthFileCases cases) : IClassFixture<PthFileCases>
{
    private static readonly TensorSpec W = new("w", "0", "FloatStorage", 6, 0, [2, 3], [3, 1]);

    private static byte[] Storage6 => TorchFiles.Floats(1, 2, 3, 4, 5, 6);

    private static byte[] File(byte[] pickle, Dictionary<string, byte[]>? storages = null) =>
        TorchFiles.Zip(pickle, storages ?? new() { ["0"] = Storage6 });

    private static byte[] Pickle(Action<PickleWriter> body)
    {
        var p = new PickleWriter().Proto();
        body(p);
        return p.Stop().ToArray();
    }

    /// <summary>Opens and reads every tensor; returns the keys read.</summary>
    internal static List<string> ReadAll(byte[] file, string name = "hostile.pth")
    {
        using var c = TorchCheckpoint.Parse(file, name);
        foreach (var key in c.Keys)
        {
            using var t = c.Load(key);
            Assert.Equal(c.ShapeOf(key), t.Shape);
        }
        return [.. c.Keys];
    }

    private static InvalidDataException Refused(byte[] file, params string[] fragments)
    {
        long before = GC.GetAllocatedBytesForCurrentThread();
        var e = Assert.Throws<InvalidDataException>(() => ReadAll(file));
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.StartsWith("hostile.pth: ", e.Message);
        foreach (var f in fragments) Assert.Contains(f, e.Message);
        Assert.True(allocated < 64L * file.Length + (1 << 20), $"{allocated} bytes allocated to refuse a {file.Length}-byte file ({e.Message})");
        return e;
    }

    [Fact]
    public void TheValidBaseFileReads()
    {
        using var c = TorchCheckpoint.Parse(File(TorchFiles.StateDict(W)), "valid.pth");
        using var t = c.Load("w");
        Assert.Equal([1f, 2, 3, 4, 5, 6], t.ToArray());
    }

    [Fact]
    public void EveryTruncationOfSmallValidFilesIsRefused()
    {
        var files = new[] { File(TorchFiles.StateDict(W)), System.IO.File.ReadAllBytes(cases.Path("dtypes.pth")), System.IO.File.ReadAllBytes(cases.Path("legacy.pth")) };
        int n = 0;
        foreach (var file in files)
            for (int length = 0; length < file.Length; length++, n++)
                Assert.Throws<InvalidDataException>(() => ReadAll(file[..length]));
        Assert.True(n > 5000, $"{n} truncations");
    }

    [Theory]
    [InlineData((byte)'i', "INST")]
    [InlineData((byte)'o', "OBJ")]
    [InlineData((byte)0x81, "NEWOBJ")]
    [InlineData((byte)0x92, "NEWOBJ_EX")]
    [InlineData((byte)'P', "PERSID")]
    [InlineData((byte)'S', "STRING")]
    [InlineData((byte)'V', "UNICODE")]
    [InlineData((byte)'I', "INT")]
    [InlineData((byte)'0', "POP")]
    [InlineData((byte)'2', "DUP")]
    [InlineData((byte)'g', "GET")]
    [InlineData((byte)0x82, "EXT1")]
    [InlineData((byte)0x8f, "EMPTY_SET")]
    [InlineData((byte)'B', "BINBYTES")]
    [InlineData((byte)0x97, "NEXT_BUFFER")]
    public void OpcodesOutsideStateDictsAreRefusedByNameAndOffset(byte op, string name)
    {
        var pickle = new PickleWriter().Proto().Op(op).Raw(0, 0, 0, 0, 0, 0, 0, 0).Stop().ToArray();
        Refused(File(pickle), $"the opcode {name} (0x{op:x2}) is not allowed", "data.pkl at offset 2");
    }

    [Fact]
    public void AnUnknownOpcodeIsRefused() =>
        Refused(File(new PickleWriter().Proto().Op(0xff).Stop().ToArray()), "unknown opcode 0xff", "offset 2");

    [Theory]
    [InlineData("os", "system")]
    [InlineData("posix", "system")]
    [InlineData("builtins", "eval")]
    [InlineData("builtins", "exec")]
    [InlineData("__builtin__", "set")]
    [InlineData("subprocess", "Popen")]
    [InlineData("torch", "load")]
    [InlineData("torch._utils", "_rebuild_parameter")]
    [InlineData("numpy.core.multiarray", "scalar")]
    [InlineData("collections", "defaultdict")]
    public void GlobalsOutsideTheAllowListAreRefusedByName(string module, string name)
    {
        Refused(File(Pickle(p => p.Global(module, name).Str("echo pwned").Op((byte)'\x85').Reduce())), $"the global {module}.{name} is not allowed");
        // The same through STACK_GLOBAL (protocol 4).
        Refused(File(Pickle(p => p.Str(module).Str(name).Op(0x93).Str("x").Op((byte)'\x85').Reduce())), $"the global {module}.{name} is not allowed");
    }

    [Fact]
    public void StorageTypesThatAreNotReadAreNamed() =>
        Refused(File(Pickle(p => p.Global("torch", "IntStorage"))), "the storage type torch.IntStorage is not read");

    [Fact]
    public void ReduceAndBuildDoOnlyWhatAStateDictNeeds()
    {
        Refused(File(Pickle(p => p.Global("collections", "OrderedDict").Mark().Int(1).Tuple().Reduce())), "called with 1 arguments");
        Refused(File(Pickle(p => p.Global("torch", "FloatStorage").EmptyTuple().Reduce())), "REDUCE on torch.FloatStorage");
        Refused(File(Pickle(p => p.Str("os.system").EmptyTuple().Reduce())), "REDUCE on a str");
        Refused(File(Pickle(p => p.Global("torch._utils", "_rebuild_tensor_v2").Mark().Int(0).Tuple().Reduce())), "called with 1 arguments");
        Refused(File(Pickle(p => p.EmptyList().EmptyDict().Build())), "BUILD on a list");
        Refused(File(Pickle(p => p.OrderedDict().EmptyDict().Str("__class__").Str("x").SetItem().Build())), "only a dict holding the _metadata");
        Refused(File(Pickle(p => p.OrderedDict().EmptyDict().Str("_metadata").EmptyDict().SetItem().Put(0).Build().Get(0).Build())), "once");
    }

    [Fact]
    public void HugeDeclaredSizesAreRefusedBeforeAnyAllocation()
    {
        Refused(File(Pickle(p => p.Op((byte)'X').Raw(0xff, 0xff, 0xff, 0xff))), "a string of 4294967295 bytes runs past the end");
        Refused(File(Pickle(p => p.Op(0x8a, 200).Raw(new byte[200]))), "an integer of 200 bytes");
        Refused(File(Pickle(p => p.Op(0x95).Raw(0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f))), "runs past the end of the pickle");
        Refused(File(Pickle(p => p.Op((byte)'j').Raw(0xff, 0xff, 0xff, 0xff))), "memo entry 4294967295 was never stored");
        Refused(File(TorchFiles.StateDict(W with { StorageNumel = 1L << 62 })), "storage '0' declares 4611686018427387904 elements");
        Refused(File(TorchFiles.StateDict(W with { StorageNumel = 1L << 40 })), "its member holds 24 bytes");
        Refused(File(TorchFiles.StateDict(W with { Sizes = [1L << 31, 1L << 31], Strides = [0, 0] })), "dimension out of range");
        Refused(File(TorchFiles.StateDict(W with { Sizes = [1L << 30, 1L << 30], Strides = [0, 0] })), "more elements than one tensor can hold");
        Refused(File(TorchFiles.StateDict(W with { Sizes = [1L << 25], Strides = [0] })), "repeats its storage of 6 elements to 33554432");
        Refused(File(TorchFiles.StateDict(W with { Sizes = [1, 2, 1, 1, 1, 1, 1, 1, 1], Strides = [0, 0, 0, 0, 0, 0, 0, 0, 0] })), "rank 9");
    }

    [Fact]
    public void OffsetsAndStridesPastTheStorageAreRefused()
    {
        Refused(File(TorchFiles.StateDict(W with { Offset = 1 })), "reaches element 6 of storage '0', which has 6");
        Refused(File(TorchFiles.StateDict(W with { Strides = [4, 1] })), "reaches element 6");
        Refused(File(TorchFiles.StateDict(W with { Offset = -1 })), "negative storage offset");
        Refused(File(TorchFiles.StateDict(W with { Strides = [-3, 1] })), "negative stride");
        Refused(File(TorchFiles.StateDict(W with { Offset = long.MaxValue, Strides = [long.MaxValue, 1] })), "reaches element");
        Refused(File(TorchFiles.StateDict(W with { Sizes = [0, 3], Offset = 7 })), "offset 7 lies past");
    }

    [Fact]
    public void DeepNestingIsRefusedAndCyclesAreHarmless()
    {
        Refused(File(Pickle(p => { for (int i = 0; i < 40; i++) p.Mark(); })), "MARKs nest deeper than 32");
        Refused(File(Pickle(p => { p.EmptyTuple(); for (int i = 0; i < 100_000; i++) p.Op(0x85); })), "containers nest deeper than 32");
        Refused(File(Pickle(p => { for (int i = 0; i < 100_000; i++) p.EmptyList(); for (int i = 1; i < 100_000; i++) p.Append(); })), "containers nest deeper than 32");
        // A list that holds itself, next to a state dict: never walked, so read at once.
        var cyclic = new PickleWriter().Proto().EmptyDict().Str("loop").EmptyList().Put(1).Get(1).Append().SetItem()
            .Str("state_dict").OrderedDict().Str("w").Tensor("0", "FloatStorage", 6, 0, [2, 3], [3, 1]).SetItem().SetItem().Stop().ToArray();
        Assert.Equal(["w"], ReadAll(File(cyclic)));
    }

    [Fact]
    public void MissingDuplicateCompressedAndOverlappingMembersAreRefused()
    {
        Refused(File(TorchFiles.StateDict(W with { StorageKey = "1" })), "storage '1' has no member archive/data/1");
        var members = TorchFiles.Members(File(TorchFiles.StateDict(W)));
        Refused(TorchFiles.StoredZipOf([.. members, members[1]]), "the member 'archive/data/0' appears twice");
        Refused(TorchFiles.StoredZipOf(members.Where(m => !m.name.EndsWith("version", StringComparison.Ordinal))), "the format version has no member archive/version");
        Refused(TorchFiles.StoredZipOf(members.Where(m => !m.name.EndsWith("data.pkl", StringComparison.Ordinal))), "without <folder>/data.pkl");

        var zip = File(TorchFiles.StateDict(W));
        int cd = CentralDirectory(zip);
        var deflated = (byte[])zip.Clone();
        deflated[cd + 10] = 8;
        Refused(deflated, "is compressed (method 8)");
        var bomb = (byte[])zip.Clone();
        BinaryPrimitives.WriteUInt32LittleEndian(bomb.AsSpan(cd + 24), 0xFFFFFFF0);
        Refused(bomb, "bytes stored and 4294967280 bytes of data");
        var huge = (byte[])zip.Clone();
        BinaryPrimitives.WriteUInt32LittleEndian(huge.AsSpan(cd + 20), 0xFFFFFFF0);
        BinaryPrimitives.WriteUInt32LittleEndian(huge.AsSpan(cd + 24), 0xFFFFFFF0);
        Refused(huge, "runs past the data area");
        var many = (byte[])zip.Clone();
        BinaryPrimitives.WriteUInt16LittleEndian(many.AsSpan(many.Length - 12), 0xFFFF);
        BinaryPrimitives.WriteUInt16LittleEndian(many.AsSpan(many.Length - 14), 0xFFFF);
        Refused(many, "65535 members cannot fit");

        // A member whose data runs over the next member's header (sizes come from the directory when bit 3 is set).
        var overlap = (byte[])zip.Clone();
        int data0 = NthCentral(overlap, cd, 1);
        overlap[data0 + 8] |= 8;
        uint size = BinaryPrimitives.ReadUInt32LittleEndian(overlap.AsSpan(data0 + 24));
        BinaryPrimitives.WriteUInt32LittleEndian(overlap.AsSpan(data0 + 20), size + 40);
        BinaryPrimitives.WriteUInt32LittleEndian(overlap.AsSpan(data0 + 24), size + 40);
        Refused(overlap, "the members 'archive/data/0' and 'archive/version' overlap");

        // A directory entry pointing at another member's local header.
        var elsewhere = TorchFiles.StoredZipOf([.. members, (members[1].name.Replace("/0", "/1", StringComparison.Ordinal), members[1].data)]);
        int cd2 = CentralDirectory(elsewhere);
        Array.Copy(elsewhere, NthCentral(elsewhere, cd2, 1) + 42, elsewhere, NthCentral(elsewhere, cd2, 3) + 42, 4);
        Refused(elsewhere, "names another member");
    }

    [Fact]
    public void DamagedDataIsCaughtByItsCrc()
    {
        var zip = File(TorchFiles.StateDict(W));
        int at = IndexOf(zip, Storage6);
        zip[at + 5] ^= 0x10;
        using var c = TorchCheckpoint.Parse(zip, "hostile.pth");
        var e = Assert.Throws<InvalidDataException>(() => c.Load("w"));
        Assert.Contains("the member 'archive/data/0' is damaged", e.Message);
    }

    [Fact]
    public void PersistentIdsAndTheirStoragesAreChecked()
    {
        Refused(File(Pickle(p => p.Mark().Str("module").Str("os").Tuple().BinPersId())), "a persistent id must be ('storage'");
        Refused(File(Pickle(p => p.Mark().Str("storage").Global("torch", "FloatStorage").Str("../../etc/passwd").Str("cpu").Int(6).Tuple().BinPersId())),
            "the storage key '../../etc/passwd' is not a short name");
        Refused(File(Pickle(p => p.Str("not a tuple").BinPersId())), "BINPERSID needs a tuple");
        var twice = new PickleWriter().Proto().OrderedDict().Mark()
            .Str("a").Tensor("0", "FloatStorage", 6, 0, [6], [1]).Str("b").Tensor("0", "DoubleStorage", 3, 0, [3], [1]).SetItems().Stop().ToArray();
        Refused(File(twice), "storage '0' is declared as 6 F32 and then as 3 F64");
        Refused(File(TorchFiles.StateDict(W with { StorageNumel = 7 })), "declares 7 F32 elements, but its member holds 24 bytes");
    }

    [Fact]
    public void WhatIsNotAStateDictIsRefused()
    {
        Refused(File(Pickle(p => p.EmptyList())), "the pickle holds a list, not a state dict");
        Refused(File(Pickle(p => p.EmptyDict().Str("epoch").Int(3).SetItem())), "no tensors in the pickle's dict (keys: epoch)");
        Refused(File(TorchFiles.StateDict(W).Concat(new byte[] { 0x2e }).ToArray()), "1 bytes after its STOP");
        Refused(File(Pickle(p => p.Op((byte)'X').Raw(2, 0, 0, 0, 0xc3, 0x28))), "not valid UTF-8");
        Refused(File(new PickleWriter().Proto().Proto().Stop().ToArray()), "PROTO is only allowed as the first opcode");
        Refused(File(new PickleWriter().Proto(1).EmptyDict().Stop().ToArray()), "pickle protocol 1");
        Refused(File(new PickleWriter().Proto().Int(1).Int(2).Stop().ToArray()), "STOP with 2 values");
        Refused(File(new PickleWriter().Proto().EmptyDict().ToArray()), "ends at offset 3 without STOP");
        Refused(File(Pickle(p => p.EmptyDict().Mark().EmptyList().EmptyDict().SetItems())), "a dict key is a list");
    }

    [Fact]
    public void OverlappingViewsThatRepeatAStorageManyTimesAreRefused()
    {
        const int n = 1 << 20;
        var views = Enumerable.Range(0, 30).Select(i => new TensorSpec($"v{i}", "0", "FloatStorage", n, 0, [n], [1])).ToArray();
        Refused(File(TorchFiles.StateDict(views), new() { ["0"] = new byte[4 * n] }), "overlapping views that repeat storages more than 4 times over are refused");
    }

    [Fact]
    public void DamagedLegacyFilesAreRefused()
    {
        var legacy = System.IO.File.ReadAllBytes(cases.Path("legacy.pth"));
        Refused([.. legacy, 0], "1 bytes follow the last storage record");
        var wrongCount = (byte[])legacy.Clone();
        wrongCount[FirstLegacyRecord(legacy)] ^= 1;
        Refused(wrongCount, "but its record holds");
        // torch orders legacy storage records by memory address, so which record a cut lands in varies from run to
        // run: every short cut must be refused as truncated, and a cut into data (not only a count) must happen.
        var truncations = Enumerable.Range(1, 16).Select(k => Refused(legacy[..(legacy.Length - k)], "(truncated)").Message).ToList();
        Assert.Contains(truncations, m => m.Contains("run past the end of the file"));
        var magic = (byte[])legacy.Clone();
        magic[6] ^= 1;
        Refused(magic, "not a torch.save file");
    }

    // Where the storage records begin: after the magic number and four pickles (version, system facts, object, keys).
    private static int FirstLegacyRecord(byte[] legacy)
    {
        var any = new TorchStorage("any", "F32", long.MaxValue / 8, "cpu");
        int pos = 15;
        for (int i = 0; i < 4; i++) (_, pos) = Unpickler.Load(legacy, pos, legacy.Length, "legacy", (_, _) => any);
        return pos;
    }

    private static int CentralDirectory(byte[] zip) => (int)BinaryPrimitives.ReadUInt32LittleEndian(zip.AsSpan(zip.Length - 6));

    private static int NthCentral(byte[] zip, int cd, int n)
    {
        int at = cd;
        for (int i = 0; i < n; i++)
            at += 46 + BinaryPrimitives.ReadUInt16LittleEndian(zip.AsSpan(at + 28)) + BinaryPrimitives.ReadUInt16LittleEndian(zip.AsSpan(at + 30)) + BinaryPrimitives.ReadUInt16LittleEndian(zip.AsSpan(at + 32));
        return at;
    }

    private static int IndexOf(byte[] haystack, byte[] needle)
    {
        foreach (int i in Enumerable.Range(0, haystack.Length - needle.Length + 1))
            if (haystack.AsSpan(i, needle.Length).SequenceEqual(needle)) return i;
        return -1;
    }
}
