using ContextNets.Tests.Support;

namespace ContextNets.Tests.Docs;

/// <summary>The README's code that a user copies: it compiles (it is here), runs, learns, and is shown unchanged.</summary>
public sealed class ReadmeExampleTests
{
    [Fact]
    public void TheTrainingStepExampleLearnsItsBatch()
    {
        var (losses, logits) = TrainingStepExample.Run();
        Assert.Equal(8, losses.Count);
        Assert.All(losses, l => Assert.True(double.IsFinite(l)));
        Assert.True(losses[^1] < losses[0], $"The loss went from {losses[0]:G4} to {losses[^1]:G4} on one repeated batch.");
        Assert.Equal(8 * 10, logits.Length);
    }

    [Fact]
    public void TheReadmeShowsTheExampleWordForWord()
    {
        var source = File.ReadAllLines(Path.Combine(TestData.RepoRoot, "tests", "ContextNets.Tests", "Docs", "TrainingStepExample.cs"));
        int begin = Array.FindIndex(source, l => l.Trim() == "// README: training step"), end = Array.FindIndex(source, l => l.Trim() == "// README: end");
        var example = source[(begin + 1)..end].Select(l => l.Length >= 8 ? l[8..] : l.Trim());
        string readme = File.ReadAllText(Path.Combine(TestData.RepoRoot, "README.md"));
        Assert.Contains(string.Join("\n", example), readme);
    }
}
