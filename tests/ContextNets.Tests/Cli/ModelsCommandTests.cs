using ContextNets.Models;

namespace ContextNets.Tests.Cli;

public class ModelsCommandTests
{
    [Fact]
    public void TheListingHasEveryModelWithItsCountAndGMacs()
    {
        var (code, stdout, stderr) = CliProcess.Run("models");
        Assert.True(code == 0, stderr);
        foreach (var name in Zoo.Names) Assert.Matches($@"(?m)^{name}\s", stdout);
        Assert.Matches(@"(?m)^resnet50\s+25\.56M\s+4\.09\s+8\.18\s+224x224x3", stdout);
        Assert.Matches(@"(?m)^resnest50d\s+27\.48M\s", stdout);
        Assert.Matches(@"(?m)^resnet20\s+272\.19K\s+0\.0310\s+0\.0620\s+28x28x1", stdout);
    }

    [Fact]
    public void CompareShowsWhatTheAttentionAdds()
    {
        var (code, stdout, stderr) = CliProcess.Run("models gcresnet50 --compare resnet50");
        Assert.True(code == 0, stderr);
        Assert.Contains("13 attention blocks", stdout);
        Assert.Matches(@"(?m)^layer1\s+.*\s0 \(0\.00%\)\s+0 \(0\.00%\)$", stdout);
        Assert.Matches(@"(?m)^\(total\)\s+28\.08M\s+4\.10G\s+\S+\s+\+2\.52M \(\+9\.9%\)\s+\+8\.71M \(\+0\.21%\)$", stdout);
        Assert.Matches(@"(?m)^layer3\.0\.se\s+GlobalContext\s+\[1, 1024, 14, 14\]", stdout);

        (code, stdout, stderr) = CliProcess.Run("models --compare resnet20");
        Assert.True(code == 0, stderr);
        Assert.Matches(@"(?m)^gc_resnet20\s.*\+9\.00K \(\+3\.3%\)", stdout);
        Assert.DoesNotContain("resnet50", stdout);
    }

    [Fact]
    public void AnUnknownModelIsNamedWithTheKnownOnes()
    {
        var (code, _, stderr) = CliProcess.Run("models --compare resnet51");
        Assert.Equal(2, code);
        Assert.Contains("No model named 'resnet51'", stderr);
        Assert.Contains("gcresnet50", stderr);
    }
}
