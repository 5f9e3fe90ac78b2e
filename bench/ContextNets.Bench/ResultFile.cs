using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace ContextNets.Bench;

/// <summary>Finds the bench folder and writes results under bench/results (git-ignored) unless told otherwise.</summary>
internal static class ResultFile
{
    /// <summary>The repository's bench folder, found upwards from the working directory or the binary.</summary>
    public static string BenchDir()
    {
        foreach (var start in new[] { Directory.GetCurrentDirectory(), AppContext.BaseDirectory })
            for (var d = new DirectoryInfo(start); d is not null; d = d.Parent)
                if (File.Exists(Path.Combine(d.FullName, "bench", "resnet50_convs.json"))) return Path.Combine(d.FullName, "bench");
        throw new FileNotFoundException("bench/resnet50_convs.json was not found above the working directory; run from the repository.");
    }

    public static string DefaultPath(string kind, DateTime started) =>
        Path.Combine(BenchDir(), "results", $"{kind}-{started:yyyyMMdd-HHmmss}.json");

    public static void Write(string path, JsonNode json)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        File.WriteAllText(path, json.ToJsonString(new JsonSerializerOptions { WriteIndented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping }) + "\n");
        Console.WriteLine($"wrote {path}");
    }
}
