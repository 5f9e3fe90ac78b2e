namespace ContextNets.Autograd;

/// <summary>Whether ops record a graph on this thread.</summary>
public static class GradMode
{
    [ThreadStatic] private static int _disabledDepth;

    public static bool IsEnabled => _disabledDepth == 0;

    /// <summary>Inference and optimizer updates run inside this: no graph is recorded, nothing is kept for backward.</summary>
    public static NoGradScope NoGrad() => new();

    public readonly struct NoGradScope : IDisposable
    {
        public NoGradScope() => _disabledDepth++;
        public void Dispose() => _disabledDepth--;
    }
}
