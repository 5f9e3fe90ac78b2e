using System.Globalization;
using ContextNets.Models;
using ContextNets.Models.Video;
using ContextNets.NN;

namespace ContextNets.Cli;

/// <summary>
/// The video networks in `ctxnet models`: their parameters at their default classes, their multiply-adds on one clip
/// of the size each is made for, and that clip (C x T x H x W).
/// </summary>
internal static class VideoModels
{
    public static void Table()
    {
        Console.WriteLine();
        Console.WriteLine("Video networks (clips [N, C, T, H, W]; ctxnet run, ctxnet train --task video):");
        var rows = VideoZoo.Names.Select(Row).ToList();
        var widths = Enumerable.Range(0, 4).Select(i => rows.Max(r => r[i].Length)).ToArray();
        foreach (var r in rows)
            Console.WriteLine($"{r[0].PadRight(widths[0])}  {r[1].PadLeft(widths[1])}  {r[2].PadLeft(widths[2])} GMACs  {r[3].PadRight(widths[3])}  {r[4]}");
    }

    public static void Detail(string name)
    {
        var r = Row(name);
        Console.WriteLine($"{name}: {r[4]}; {r[1]} parameters, {r[2]} GMACs per clip; made for clips {r[3]} (C x T x H x W); docs/video.md gives its keys.");
    }

    private static string[] Row(string name)
    {
        var e = VideoZoo.Entry(name);
        ModelProfile profile;
        using (Initializers.SkipRandom())
        using (var model = VideoZoo.Create(name))
            profile = Profiler.Of(model, new Shape(1, 3, e.Frames, e.InputSize, e.InputSize));
        return [name, (profile.Total.Params / 1e6).ToString("F2", CultureInfo.InvariantCulture) + "M", ModelsCommand.Significant(profile.Total.Ops.GMacs),
            $"3x{e.Frames}x{e.InputSize}x{e.InputSize}", e.Description];
    }
}
