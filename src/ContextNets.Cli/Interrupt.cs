using System.Runtime.InteropServices;

namespace ContextNets.Cli;

/// <summary>
/// Ctrl-C (SIGINT) or SIGTERM (`kill`, `docker stop`, a job scheduler's end) asks a long command to stop at its next
/// step, so that it keeps its last checkpoint or removes a run folder that has none; a second signal ends the process
/// at once.
/// </summary>
internal sealed class Interrupt : IDisposable
{
    private readonly CancellationTokenSource _source = new();
    private readonly ConsoleCancelEventHandler _handler;
    private readonly PosixSignalRegistration _terminate;

    private Interrupt()
    {
        _handler = (_, e) =>
        {
            if (_source.IsCancellationRequested) return;
            e.Cancel = true;
            _source.Cancel();
        };
        Console.CancelKeyPress += _handler;
        _terminate = PosixSignalRegistration.Create(PosixSignal.SIGTERM, context =>
        {
            if (_source.IsCancellationRequested) return;
            context.Cancel = true;
            _source.Cancel();
        });
    }

    public static Interrupt Install() => new();

    public CancellationToken Token => _source.Token;

    public void Dispose()
    {
        Console.CancelKeyPress -= _handler;
        _terminate.Dispose();
        _source.Dispose();
    }
}
