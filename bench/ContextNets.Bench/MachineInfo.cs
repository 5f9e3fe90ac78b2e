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

    public static string LoadAverage() =>
        File.Exists("/proc/loadavg") ? string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : "unknown";

    private static string CpuModel()
    {
        if (!File.Exists("/proc/cpuinfo")) return RuntimeInformation.ProcessArchitecture.ToString();
        var line = File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name"));
        return line?[(line.IndexOf(':') + 1)..].Trim() ?? "unknown";
    }
}
