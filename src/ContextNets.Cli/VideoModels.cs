using System.Globalization;
using ContextNets.Models.Video;
using ContextNets.NN;

namespace ContextNets.Cli;

/// <summary>
/// The video networks in `ctxnet models`: their parameters at their default classes and the clip each is made for
/// (C x T x H x W). Their multiply-adds are not counted: the profiler does not know the 3-D ops yet.
/// </summary>
internal static class VideoModels
{
    public static void Table()
    {
        Console.WriteLine();
        Console.WriteLine("Video networks (clips [N, C, T, H, W]; ctxnet run, ctxnet train --task video):");
        var rows = VideoZoo.Names.Select(Row).ToList();
        var widths = Enumerable.Range(0, 3).Select(i => rows.Max(r => r[i].Length)).ToArray();
        foreach (var r in rows)
            Console.WriteLine($"{r[0].PadRight(widths[0])}  {r[1].PadLeft(widths[1])}  {r[2].PadRight(widths[2])}  {r[3]}");
    }

    public static void Detail(string name)
    {
        var r = Row(name);
        Console.WriteLine($"{name}: {r[3]}; {r[1]} parameters; made for clips {r[2]} (C x T x H x W); docs/video.md gives its keys.");
    }

    private static string[] Row(string name)
    {
        var e = VideoZoo.Entry(name);
        long parameters;
        using (Initializers.SkipRandom())
        using (var model = VideoZoo.Create(name))
            parameters = model.ParameterCount;
        return [name, (parameters / 1e6).ToString("F2", CultureInfo.InvariantCulture) + "M", $"3x{e.Frames}x{e.InputSize}x{e.InputSize}", e.Description];
    }
}
