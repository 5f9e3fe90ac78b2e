using ContextNets.NN;
using ContextNets.Tests.Data;
using ContextNets.Tests.Support;
using ContextNets.Training;

namespace ContextNets.Tests.Training;

[Collection(PoolCollection.Name)]
public class TrainerMemoryTests
{
    [Fact]
    public void NativeMemoryStaysFlatAcrossEpochs()
    {
        using var tmp = new TempDir();
        long start = BufferPool.LiveBytes;
        Initializers.Seed(5);
        var (train, test) = SyntheticImages.Loaders();
        using (train)
        using (test)
        using (var model = new SmallNet())
        using (var trainer = new Trainer(model, train, test, SyntheticImages.Options(6), tmp.File("run")))
        {
            trainer.Fit(stopAfterEpoch: 2);
            long live = BufferPool.LiveBytes;
            trainer.Fit(stopAfterEpoch: 6);
            Assert.Equal(6, trainer.State.Epoch);
            Assert.Equal(live, BufferPool.LiveBytes);
        }
        Assert.Equal(start, BufferPool.LiveBytes);
    }
}
