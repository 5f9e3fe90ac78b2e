using System.Diagnostics;

namespace ContextNets.Tests.Export;

/// <summary>
/// An outside tool kept running for a whole test run that answers one line per request line (the ONNX checker in
/// Python), so that each check does not pay for starting the interpreter and loading the library.
/// </summary>
internal sealed class LineProcess : IDisposable
{
    private readonly Process _process;
    private readonly System.Text.StringBuilder _stderr = new();
    private readonly string _what;
    private readonly object _gate = new();

    public LineProcess(string what, string program, IEnumerable<string> args, string? workingDirectory = null)
    {
        _what = what;
        var psi = new ProcessStartInfo(program)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = workingDirectory ?? Environment.CurrentDirectory,
        };
        foreach (var a in args) psi.ArgumentList.Add(a);
        _process = Process.Start(psi) ?? throw new InvalidOperationException($"Could not start {program}.");
        _process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is null) return;
            lock (_stderr) _stderr.AppendLine(e.Data);
        };
        _process.BeginErrorReadLine();
    }

    /// <summary>Sends one line and waits for the answer line.</summary>
    public string Ask(string line, TimeSpan timeout)
    {
        lock (_gate)
        {
            if (_process.HasExited) Assert.Fail($"{_what} has exited (code {_process.ExitCode}): {Stderr()}");
            _process.StandardInput.WriteLine(line);
            _process.StandardInput.Flush();
            var read = _process.StandardOutput.ReadLineAsync();
            if (!read.Wait(timeout)) Assert.Fail($"{_what} gave no answer in {timeout.TotalSeconds:F0} s to: {line}\n{Stderr()}");
            return read.Result ?? throw new InvalidOperationException($"{_what} closed its output: {Stderr()}");
        }
    }

    private string Stderr()
    {
        lock (_stderr) return _stderr.ToString();
    }

    public void Dispose()
    {
        try
        {
            _process.StandardInput.Close();
            if (!_process.WaitForExit(10_000)) _process.Kill(entireProcessTree: true);
        }
        catch (InvalidOperationException)
        {
        }
        _process.Dispose();
    }
}
