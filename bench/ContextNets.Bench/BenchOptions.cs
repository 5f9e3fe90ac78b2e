namespace ContextNets.Bench;

/// <summary>The command line: a mode, then --reps, --threads, --out, --only, --no-torch, --torch-layouts, --layout.</summary>
internal sealed record BenchOptions(string Mode, int Reps, int Threads, string? Out, string[]? Only, string[] TorchLayouts, MemoryFormat Layout)
{
    public const string Usage =
        "usage: ContextNets.Bench convs|overhead|all [--reps N] [--threads T] [--out FILE]\n" +
        "       ContextNets.Bench blocks|splat [their own options]   (attention blocks against shared/reference/bench_blocks.py)\n" +
        "       ContextNets.Bench models [--only resnet50,...] [--rounds N] [--no-torch]   (whole networks against bench/python/bench_models.py)\n" +
        "                         [--only name,name] [--torch-layouts nchw,channels_last | --no-torch]\n" +
        "                         [--layout channels_last|nchw]   (our activation layout; channels_last is the engine's)";

    public static BenchOptions Parse(string[] args)
    {
        if (args.Length == 0 || args[0] is not ("convs" or "overhead" or "all")) throw new ArgumentException(Usage);
        int reps = 7, threads = Environment.ProcessorCount;
        string? output = null;
        string[]? only = null;
        string[] layouts = ["nchw", "channels_last"];
        var layout = MemoryFormat.ChannelsLast;
        for (int i = 1; i < args.Length; i++)
        {
            string Next() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value.\n{Usage}");
            switch (args[i])
            {
                case "--reps": reps = PositiveInt(Next(), "--reps"); break;
                case "--threads": threads = PositiveInt(Next(), "--threads"); break;
                case "--out": output = Next(); break;
                case "--only": only = Next().Split(','); break;
                case "--torch-layouts": layouts = Next().Split(','); break;
                case "--no-torch": layouts = []; break;
                case "--layout":
                    layout = Next() switch
                    {
                        "channels_last" => MemoryFormat.ChannelsLast,
                        "nchw" => MemoryFormat.Contiguous,
                        var other => throw new ArgumentException($"Unknown layout {other}.\n{Usage}"),
                    };
                    break;
                default: throw new ArgumentException($"Unknown option {args[i]}.\n{Usage}");
            }
        }
        foreach (var l in layouts)
            if (l is not ("nchw" or "channels_last")) throw new ArgumentException($"Unknown PyTorch layout {l}.\n{Usage}");
        return new BenchOptions(args[0], reps, threads, output, only, layouts, layout);
    }

    private static int PositiveInt(string s, string option) =>
        int.TryParse(s, out int n) && n > 0 ? n : throw new ArgumentException($"{option} needs a positive integer, not '{s}'.");
}
