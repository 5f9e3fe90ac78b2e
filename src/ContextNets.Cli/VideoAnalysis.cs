using System.Globalization;
using System.Text;
using System.Text.Json;
using ContextNets.Analysis;
using ContextNets.Data;
using ContextNets.Data.Clips;
using ContextNets.IO;
using ContextNets.Models.Video;

namespace ContextNets.Cli;

/// <summary>
/// `ctxnet analyze RUN` for a video run: test clips through the network with its NL and GC blocks' attention kept;
/// per NL block, GCNet's Table-1 distances over all T*H*W positions of the clip, per GC block its one map's entropy
/// (stats.json, report.md, the console), and for the first clips a strip per block: an NL block's queries at a few
/// frames and their maps over every frame, a GC block's map over every frame (PNG).
/// </summary>
internal static class VideoAnalysis
{
    private const int BatchSize = 4;

    public static void Run(AnalyzeOptions o, CancellationToken cancel)
    {
        var (config, model, state) = VideoEvaluation.Load(o.Run, o.Checkpoint);
        using (model)
        {
            if (model is not NonLocalVideoNet || !AttentionBlocks.Find(model).Any(b => b.Module is Attention.NonLocal or Attention.GlobalContext))
                throw new CliException($"{config.Model} has no NL or GC block: ctxnet analyze on clips reads their attention maps; train i3d_small_nl or i3d_small_gc (or an _nl5/_nl10/_gc network).");
            var test = VideoData.Of(config).Test;
            if (o.Images > test.Count) throw new CliException($"--images {o.Images} is more than the {test.Count} test clips of the run's data.");
            int[] picked = [.. Enumerable.Range(0, o.Images).Select(i => (int)((long)i * test.Count / o.Images))];
            // The paper's networks pool time by 2 after res2: the NL blocks see T / 2 frames.
            using var analysis = new ClipAttentionAnalysis(model, t => t / 2, o.Queries, Math.Min(o.Show, o.Images));
            using var loader = new DataLoader(new ClipSubset(test, picked), new LoaderOptions { BatchSize = BatchSize, Shuffle = false });
            for (int b = 0; b < loader.BatchCount; b++)
            {
                if (cancel.IsCancellationRequested) throw new CliException("Interrupted; nothing was written.", ExitCodes.Interrupted);
                using var batch = loader.MakeBatch(0, b);
                analysis.Add(batch.Images, Pictures(batch.Images, config));
            }
            Write(o, config, state.Epoch, analysis);
        }
    }

    /// <summary>The clips as 8-bit frames, the normalization undone.</summary>
    private static Image8[][] Pictures(Tensor clips, VideoRunConfig config)
    {
        var v = clips.ToArray();
        int n = clips.Shape[0], c = clips.Shape[1], t = clips.Shape[2], h = clips.Shape[3], w = clips.Shape[4];
        var result = new Image8[n][];
        for (int i = 0; i < n; i++)
        {
            result[i] = new Image8[t];
            for (int f = 0; f < t; f++)
            {
                var image = new Image8(w, h, c);
                for (int ch = 0; ch < c; ch++)
                    for (int p = 0; p < h * w; p++)
                    {
                        float value = v[((((long)i * c + ch) * t + f) * h * w) + p] * config.Std[ch] + config.Mean[ch];
                        image.Pixels[p * c + ch] = (byte)Math.Clamp(Math.Round(value * 255), 0, 255);
                    }
                result[i][f] = image;
            }
        }
        return result;
    }

    private static void Write(AnalyzeOptions o, VideoRunConfig config, int epoch, ClipAttentionAnalysis analysis)
    {
        Directory.CreateDirectory(o.OutDir);
        var files = new List<string>();
        foreach (var (block, clip, strip) in analysis.Strips)
        {
            var canvas = strip.Render();
            string file = $"{block}-clip{clip}.png";
            Png.Write(Path.Combine(o.OutDir, file), canvas.Pixels, canvas.Width, canvas.Height, 3);
            files.Add(file);
        }
        static double R(double v) => Math.Round(v, 6);
        var stats = analysis.Distances.Select(d => new
        {
            block = d.Block.Name,
            positions = d.Positions,
            keys = d.Keys,
            attention_cosine = R(d.AttentionCosine.Mean),
            attention_jsd = R(d.AttentionJensenShannon.Mean),
            input_cosine = R(d.InputCosine.Mean),
            output_cosine = R(d.OutputCosine.Mean),
        }).ToList();
        var contexts = analysis.Contexts.Select(c => new { block = c.Block.Name, positions = c.Positions, entropy = R(c.Entropy.Mean) }).ToList();
        var json = JsonSerializer.Serialize(new { model = config.Model, epoch, clips = analysis.Clips, blocks = stats, context_blocks = contexts, strips = files },
            new JsonSerializerOptions { WriteIndented = true });
        AtomicFile.Write(Path.Combine(o.OutDir, "stats.json"), s => s.Write(Encoding.UTF8.GetBytes(json + "\n")));
        var md = new StringBuilder();
        md.AppendLine(CultureInfo.InvariantCulture, $"# {config.Model} (epoch {epoch}): attention over {analysis.Clips} test clips").AppendLine();
        if (stats.Count > 0)
        {
            md.AppendLine("NL blocks: distances averaged over the clips, between all pairs of the T*H*W positions of each clip (GCNet's Table 1, in 3-D):").AppendLine();
            md.AppendLine("| block | positions | keys | attention cosine | attention JSD | input cosine | output cosine |");
            md.AppendLine("| --- | --- | --- | --- | --- | --- | --- |");
            foreach (var s in stats)
                md.AppendLine(CultureInfo.InvariantCulture, $"| {s.block} | {s.positions} | {s.keys} | {s.attention_cosine:F4} | {s.attention_jsd:F4} | {s.input_cosine:F4} | {s.output_cosine:F4} |");
            md.AppendLine();
        }
        if (contexts.Count > 0)
        {
            md.AppendLine("GC blocks: one map per clip over its T*H*W positions, shared by every query; its entropy over ln(positions) (1 uniform, 0 one position), averaged over the clips:").AppendLine();
            md.AppendLine("| block | positions | entropy |");
            md.AppendLine("| --- | --- | --- |");
            foreach (var c in contexts) md.AppendLine(CultureInfo.InvariantCulture, $"| {c.block} | {c.positions} | {c.entropy:F4} |");
            md.AppendLine();
        }
        md.AppendLine("Strips (an NL query at a frame, or a GC block's map, over every frame): " + string.Join(", ", files));
        AtomicFile.Write(Path.Combine(o.OutDir, "report.md"), s => s.Write(Encoding.UTF8.GetBytes(md.ToString())));
        Console.Write(md.ToString());
        Console.WriteLine($"Report folder: {o.OutDir}");
    }
}
