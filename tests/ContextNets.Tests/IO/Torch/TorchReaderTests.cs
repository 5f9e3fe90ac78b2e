using ContextNets.Tests.Support;
using ContextNets.IO;
using ContextNets.IO.Torch;

namespace ContextNets.Tests.IO.Torch;

/// <summary>
/// Files written by PyTorch's own torch.save (tests/python/make_pth_cases.py) read as PyTorch reads them: every element
/// type, saved views (transposed, offset, strided, permuted, channels-last, expanded, scalar, empty), storages shared
/// by several tensors, checkpoints that wrap the state dict, pickle protocol 4, and the legacy format before 1.6.
/// </summary>
[Trait(Tier.Key, Tier.External)]
public sealed class TorchReaderTests(PthFileCases cases) : IClassFixture<PthFileCases>
{
    [Theory]
    [InlineData("dtypes.pth")]
    [InlineData("views.pth")]
    [InlineData("shared.pth")]
    [InlineData("wrapped.pth")]
    [InlineData("proto4.pth")]
    [InlineData("legacy.pth")]
    [InlineData("legacy_wrapped.pth")]
    public void EveryTensorReadsAsPyTorchSavedIt(string file)
    {
        var expected = SafetensorsFile.Read(cases.Path("expected.safetensors"));
        var keys = expected.Keys.Where(k => k.StartsWith(file + "/", StringComparison.Ordinal)).Select(k => k[(file.Length + 1)..]).ToList();
        Assert.NotEmpty(keys);
        using var pth = TorchCheckpoint.Open(cases.Path(file));
        Assert.Equal(keys.Order(StringComparer.Ordinal), pth.Keys.Order(StringComparer.Ordinal));
        using var scope = Tensor.Scope();
        foreach (var key in keys)
        {
            var want = expected.Load($"{file}/{key}");
            var got = pth.Load(key);
            Assert.Equal(want.Shape, got.Shape);
            Assert.Equal(pth.ShapeOf(key), got.Shape);
            // Every value was chosen exact in its type, and float64 -> float32 rounds as our conversion does.
            Assert.Equal(want.ToArray(), got.ToArray());
        }
    }

    [Fact]
    public void ElementTypesAreReportedAndConverted()
    {
        using var pth = TorchCheckpoint.Open(cases.Path("dtypes.pth"));
        Assert.Equal(["F32", "F16", "BF16", "F64", "I64", "I64"], pth.Keys.Select(pth.DTypeOf));
        using var counter = pth.Load("num_batches_tracked");
        Assert.Equal(0, counter.Rank);
        Assert.Equal(12f, counter.Item());
        using var i64 = pth.Load("i64");
        Assert.Equal([3f, -4f, 5f, 1 << 20, 0f, -7f], i64.ToArray());
        Assert.False(pth.IsLegacyFormat);
        Assert.Equal("", pth.StateDictPath);
    }

    [Fact]
    public void ViewsKeepTheirShapesWhateverTheirStrides()
    {
        using var pth = TorchCheckpoint.Open(cases.Path("views.pth"));
        Assert.Equal(new Shape(7, 5), pth.ShapeOf("transposed"));
        Assert.Equal(new Shape(2, 4, 5, 3), pth.ShapeOf("permuted"));
        Assert.Equal(new Shape(6, 3, 3, 3), pth.ShapeOf("channels_last"));
        Assert.Equal(new Shape(0, 3), pth.ShapeOf("empty"));
        using var expanded = pth.Load("expanded");
        Assert.Equal([0f, 1f, 2f, 0f, 1f, 2f, 0f, 1f, 2f, 0f, 1f, 2f], expanded.ToArray());
        Assert.Equal("F16", pth.DTypeOf("half_view"));
    }

    [Fact]
    public void ACheckpointsStateDictIsFoundUnderItsKeyAndTheRestSetAside()
    {
        using var pth = TorchCheckpoint.Open(cases.Path("wrapped.pth"));
        Assert.Equal("state_dict", pth.StateDictPath);
        Assert.Contains("0.weight", pth.Keys);
        Assert.Contains("1.num_batches_tracked", pth.Keys);
        Assert.Empty(pth.SkippedKeys);
        using var legacy = TorchCheckpoint.Open(cases.Path("legacy_wrapped.pth"));
        Assert.True(legacy.IsLegacyFormat);
        Assert.Equal(pth.Keys, legacy.Keys);
    }

    [Fact]
    public void AWholePickledModuleIsRefusedByNameAndNothingRuns()
    {
        var e = Assert.Throws<InvalidDataException>(() => TorchCheckpoint.Open(cases.Path("module.pth")));
        Assert.Contains("torch.nn.modules.container.Sequential", e.Message);
        Assert.Contains("is not allowed", e.Message);
        Assert.Contains("data.pkl at offset 2", e.Message);
    }

    [Fact]
    public void ANumpyScalarInACheckpointsMetadataIsRefusedByName()
    {
        var e = Assert.Throws<InvalidDataException>(() => TorchCheckpoint.Open(cases.Path("numpy_meta.pth")));
        Assert.Contains("numpy", e.Message);
        Assert.Contains("is not allowed", e.Message);
    }

    [Fact]
    public void FilesAreToldApartByTheirFirstBytesNotTheirNames()
    {
        string dir = Directory.CreateTempSubdirectory("ctxnet-pth-").FullName;
        try
        {
            string disguised = Path.Combine(dir, "weights.safetensors");
            File.Copy(cases.Path("dtypes.pth"), disguised);
            var source = StateDictFiles.Open(disguised);
            Assert.IsType<TorchCheckpoint>(source);
            ((IDisposable)source).Dispose();
            string st = Path.Combine(dir, "weights.pth");
            File.Copy(cases.Path("expected.safetensors"), st);
            Assert.IsType<SafetensorsFile>(StateDictFiles.Open(st));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
