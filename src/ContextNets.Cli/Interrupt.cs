namespace ContextNets.Cli;

/// <summary>Ctrl-C asks a long command to stop at its next step (a second Ctrl-C ends the process at once).</summary>
internal sealed class Interrupt : IDisposable
{
    private readonly CancellationTokenSource _source = new();
    private readonly ConsoleCancelEventHandler _handler;

    private Interrupt()
    {
        _handler = (_, e) =>
        {
            if (_source.IsCancellationRequested) return;
            e.Cancel = true;
            _source.Cancel();
        };
        Console.CancelKeyPress += _handler;
    }

    public static Interrupt Install() => new();

    public CancellationToken Token => _source.Token;

    public void Dispose()
    {
        Console.CancelKeyPress -= _handler;
        _source.Dispose();
    }
}
