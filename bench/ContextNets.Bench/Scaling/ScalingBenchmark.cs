using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;

namespace ContextNets.Bench.Scaling;

/// <summary>
/// `ContextNets.Bench scaling`: training throughput of 2 MPI ranks of 1 thread each against 1 process of 2 threads,
/// on the same cores, the same global batch and the same model, for gc_resnet20 and resnet50 at batch 32 (the
/// issue's question: does data parallelism on Open MPI cost anything on one machine?). Each configuration runs in
/// fresh processes (<see cref="ScalingWorker"/>), alternating, in several rounds; the JSON keeps every round and the
/// medians, and the ratio of the medians.
/// </summary>
internal static class ScalingBenchmark
{
    private sealed record Model(string Name, int Warmup, int Steps);

    public static int Run(string[] args)
    {
        int rounds = args.Contains("--rounds") ? int.Parse(args[Array.IndexOf(args, "--rounds") + 1], CultureInfo.InvariantCulture) : 2;
        string? outPath = args.Contains("--out") ? args[Array.IndexOf(args, "--out") + 1] : null;
        Model[] models = [new("gc_resnet20", 3, 15), new("resnet50", 1, 2)];
        const int batch = 32;
        string load = MachineInfo.LoadAverage();
        var started = DateTime.Now;
        var results = new JsonObject();
        foreach (var m in models)
        {
            var single = new List<double>();
            var ranks = new List<double>();
            var rows = new JsonArray();
            for (int r = 0; r < rounds; r++)
            {
                string worker = $"scaling-worker --model {m.Name} --batch {batch} --warmup {m.Warmup} --steps {m.Steps}";
                var one = Measure("dotnet", $"{Self} {worker}", threads: 2);
                var two = Measure("mpirun", $"--oversubscribe --bind-to none -np 2 -x CTXNET_THREADS=1 dotnet {Self} {worker} --distributed", threads: 1);
                single.Add((double)one["images_per_second"]!);
                ranks.Add((double)two["images_per_second"]!);
                rows.Add(new JsonObject { ["one_process_two_threads"] = one, ["two_ranks_one_thread"] = two });
                Console.WriteLine($"{m.Name} round {r + 1}: 1x2 {single[^1]:F1} img/s, 2x1 {ranks[^1]:F1} img/s");
            }
            double a = Median(single), b = Median(ranks);
            results[m.Name] = new JsonObject
            {
                ["global_batch"] = batch,
                ["one_process_two_threads_images_per_second"] = a,
                ["two_ranks_one_thread_images_per_second"] = b,
                ["ratio_two_ranks_over_one_process"] = b / a,
                ["rounds"] = rows,
            };
            Console.WriteLine($"{m.Name}: 2 ranks x 1 thread / 1 process x 2 threads = {b / a:F3}");
        }
        results["machine"] = MachineInfo.Describe(withTorch: false, load);
        results["load_average_at_end"] = MachineInfo.LoadAverage();
        ResultFile.Write(outPath ?? ResultFile.DefaultPath("scaling", started), results);
        return 0;
    }

    private static string Self => Path.Combine(AppContext.BaseDirectory, "ContextNets.Bench.dll");

    private static JsonObject Measure(string file, string args, int threads)
    {
        var psi = new ProcessStartInfo(file, args) { RedirectStandardOutput = true, RedirectStandardError = true };
        psi.Environment["CTXNET_THREADS"] = threads.ToString(CultureInfo.InvariantCulture);
        psi.Environment["OMPI_ALLOW_RUN_AS_ROOT"] = "1";
        psi.Environment["OMPI_ALLOW_RUN_AS_ROOT_CONFIRM"] = "1";
        using var p = Process.Start(psi)!;
        var stderr = p.StandardError.ReadToEndAsync();
        string stdout = p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        // Under mpirun, .NET may put a terminal mode sequence before the first line: the result starts at its brace.
        var line = stdout.Split('\n').LastOrDefault(l => l.Contains('{'));
        if (p.ExitCode != 0 || line is null) throw new InvalidOperationException($"{file} {args} failed ({p.ExitCode}): {stderr.Result}{stdout}");
        return (JsonObject)JsonNode.Parse(line[line.IndexOf('{')..])!;
    }

    private static double Median(List<double> values)
    {
        var sorted = values.Order().ToArray();
        return sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[sorted.Length / 2 - 1] + sorted[sorted.Length / 2]) / 2;
    }
}
