namespace ContextNets.Tests.Cli;

public class InfoCommandTests
{
    [Fact]
    public void InfoPrintsVersionsIsaAndThreads()
    {
        var (code, stdout, stderr) = CliProcess.Run("info", new() { ["CTXNET_THREADS"] = "1" });
        Assert.True(code == 0, stderr);
        Assert.Contains("oneDNN             2.6", stdout);
        Assert.Matches(@"oneDNN ISA\s+(avx|sse)", stdout);
        Assert.Matches(@"threads\s+1 ", stdout);
    }

    [Fact]
    public void AMissingOneDnnNamesThePackageInsteadOfAStackTrace()
    {
        var (code, stdout, stderr) = CliProcess.Run("info", new() { ["CTXNET_DNNL_LIBRARY"] = "libdnnl-absent.so.2" });
        Assert.Equal(3, code);
        Assert.Contains("apt-get install libdnnl2", stderr);
        Assert.DoesNotContain("DllNotFoundException", stderr);
        Assert.DoesNotContain("   at ", stderr);
        Assert.DoesNotContain("oneDNN ISA", stdout);
    }
}
