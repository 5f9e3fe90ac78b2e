using System.Runtime.InteropServices;
using System.Text.Json.Nodes;

namespace ContextNets.Bench;

/// <summary>What the numbers were measured on, for the JSON results.</summary>
internal static class MachineInfo
{
    public static JsonObject Describe(bool withTorch, string loadAtStart) => new()
    {
        ["cpu"] = CpuModel(),
        ["logical_cores"] = Environment.ProcessorCount,
        ["os"] = RuntimeInformation.OSDescription,
        ["dotnet"] = RuntimeInformation.FrameworkDescription,
        ["onednn"] = Engine.OneDnnVersion,
        ["onednn_isa"] = Engine.OneDnnIsa,
        ["torch"] = withTorch ? TorchConvs.Version() : null,
        ["load_average_at_start"] = loadAtStart,
    };

    /// <summary>
    /// Starts a benchmark on <paramref name="threads"/> threads (the engine reads the count once, when oneDNN loads),
    /// prints its header line, and returns the load average at the start.
    /// </summary>
    public static string Start(string name, int threads)
    {
        Environment.SetEnvironmentVariable("CTXNET_THREADS", threads.ToString(System.Globalization.CultureInfo.InvariantCulture));
        Engine.EnsureNative();
        string load = LoadAverage();
        Console.WriteLine($"{name}: oneDNN {Engine.OneDnnVersion} ({Engine.OneDnnIsa}), {Engine.Threads} threads, load {load}");
        return load;
    }

    public static string LoadAverage() =>
        File.Exists("/proc/loadavg") ? string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : "unknown";

    private static string CpuModel()
    {
        if (!File.Exists("/proc/cpuinfo")) return RuntimeInformation.ProcessArchitecture.ToString();
        var line = File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name"));
        return line?[(line.IndexOf(':') + 1)..].Trim() ?? "unknown";
    }
}
