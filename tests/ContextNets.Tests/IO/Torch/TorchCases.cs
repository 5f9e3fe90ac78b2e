using System.Collections.Concurrent;
using System.Diagnostics;
using ContextNets.Tests.Support;

namespace ContextNets.Tests.IO.Torch;

/// <summary>
/// Files written by a script in tests/python with Debian's PyTorch, made on first use into a temporary directory
/// that lives as long as the fixture (one test run), never committed. Without python3 and torch the tests fail
/// with the packages to install, as <see cref="PythonCases"/>' do.
/// </summary>
public abstract class TorchScriptCases : IDisposable
{
    private const string Python = "/usr/bin/python3";
    private const string Packages = "python3-torch python3-torchvision python3-numpy";
    private readonly ConcurrentDictionary<string, Lazy<string>> _runs = new();

    protected string Root { get; } = Path.Combine(Path.GetTempPath(), "ctxnet-pth-" + Guid.NewGuid().ToString("N"));

    /// <summary>Stands for the output directory in the arguments of <see cref="Run"/>.</summary>
    protected const string OutDir = "{out}";

    /// <summary>Runs tests/python/<paramref name="script"/> with <paramref name="args"/> once, and returns the directory that <see cref="OutDir"/> stood for.</summary>
    protected string Run(string script, params string[] args) =>
        _runs.GetOrAdd(script + " " + string.Join(" ", args), key => new Lazy<string>(() =>
        {
            string dir = Path.Combine(Root, Guid.NewGuid().ToString("N"));
            Execute(script, [.. args.Select(a => a == OutDir ? dir : a)]);
            return dir;
        })).Value;

    private static void Execute(string script, string[] args)
    {
        if (!File.Exists(Python)) Assert.Fail($"The .pth tests need {Python} with PyTorch: install {Packages}.");
        string path = Path.Combine(TestData.RepoRoot, "tests", "python", script);
        var psi = new ProcessStartInfo(Python) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        psi.ArgumentList.Add(path);
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var process = Process.Start(psi) ?? throw new InvalidOperationException($"Could not start {Python}.");
        var stdout = process.StandardOutput.ReadToEndAsync();
        string stderr = process.StandardError.ReadToEnd();
        process.WaitForExit();
        if (process.ExitCode != 0)
        {
            string hint = stderr.Contains("No module named", StringComparison.Ordinal) ? $" A module is missing: install {Packages}." : "";
            Assert.Fail($"{script} {string.Join(" ", args)} failed (exit {process.ExitCode}).{hint}\n{stderr}{stdout.Result}");
        }
    }

    public void Dispose()
    {
        if (Directory.Exists(Root)) Directory.Delete(Root, recursive: true);
        GC.SuppressFinalize(this);
    }
}

/// <summary>tests/python/make_pth_cases.py: dtypes, views, shared storages, checkpoints, protocol 4, legacy, refused files.</summary>
public sealed class PthFileCases : TorchScriptCases
{
    public string Path(string file) => System.IO.Path.Combine(Run("make_pth_cases.py", OutDir), file);
}

/// <summary>tests/python/make_pth_zoo_case.py: zoo models saved with torch.save, and their logits.</summary>
public sealed class PthZooCases : TorchScriptCases
{
    public (string pth, string io) Get(string model, int size)
    {
        string dir = Run("make_pth_zoo_case.py", model, OutDir, "--size", size.ToString(System.Globalization.CultureInfo.InvariantCulture));
        return (Path.Combine(dir, model + ".pth"), Path.Combine(dir, model + ".case.safetensors"));
    }
}

/// <summary>tests/python/make_mmcv_case.py: ContextBlock, NonLocal2d and an mmdet GCNet under OpenMMLab's names.</summary>
public sealed class MmcvCases : TorchScriptCases
{
    public (string pth, string io) Get(string name)
    {
        string dir = Run("make_mmcv_case.py", OutDir);
        return (System.IO.Path.Combine(dir, name + ".pth"), System.IO.Path.Combine(dir, name + ".case.safetensors"));
    }
}

/// <summary>tests/python/make_resnest_official_case.py: the official ResNeSt structure at ResNeSt-14 size, zip and legacy.</summary>
public sealed class ResNeStOfficialCases : TorchScriptCases
{
    public string Dir => Run("make_resnest_official_case.py", OutDir);
}
