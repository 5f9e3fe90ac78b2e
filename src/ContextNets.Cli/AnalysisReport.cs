using System.Globalization;
using System.Text;
using ContextNets.Analysis;
using ContextNets.Attention;
using ContextNets.IO;

namespace ContextNets.Cli;

/// <summary>
/// The report folder of ctxnet analyze: a heat-map PNG per NL/SNL/GC block, stats.json (<see cref="AnalysisJson"/>)
/// and report.md, each written atomically; and the table on the console. <c>weights</c> names the weights file of a
/// model analyzed by its name (no run folder, no checkpoint, no epoch).
/// </summary>
internal sealed class AnalysisReport(AnalyzeOptions options, string model, int epoch, string data, int[] indices, AttentionAnalysis analysis, string? weights = null)
{
    public const string Markdown = "report.md", Stats = "stats.json";

    public AnalyzeOptions Options => options;
    public string Model => model;
    public int Epoch => epoch;
    public string Data => data;
    public IReadOnlyList<int> Indices => indices;
    public AttentionAnalysis Analysis => analysis;
    public string? Weights => weights;

    /// <summary>The PNG of a block: nl-, snl- or gc- and its dotted name.</summary>
    public static string PictureName(AttentionBlock block)
    {
        var name = new string([.. block.Name.Select(c => char.IsLetterOrDigit(c) || c is '.' or '_' or '-' ? c : '_')]);
        return $"{block.ShortName}-{name}.png";
    }

    public void Write()
    {
        string dir = options.OutDir;
        foreach (var p in analysis.Pairwise.Where(p => p.CanRender)) Save(dir, PictureName(p.Block), p.Render());
        foreach (var p in analysis.Pooling.Where(p => p.CanRender)) Save(dir, PictureName(p.Block), p.Render());
        AtomicFile.Write(Path.Combine(dir, Stats), s => s.Write(AnalysisJson.Bytes(this)));
        AtomicFile.Write(Path.Combine(dir, Markdown), s => s.Write(Encoding.UTF8.GetBytes(MarkdownText())));
    }

    private static void Save(string dir, string file, Canvas canvas) => Png.Write(Path.Combine(dir, file), canvas.Pixels, canvas.Width, canvas.Height, 3);

    public void Print(TextWriter w)
    {
        w.WriteLine($"{model}, {(weights is null ? $"checkpoint '{options.Checkpoint}' (epoch {epoch})" : $"weights '{weights}'")}, {analysis.Images} test images");
        foreach (var p in analysis.Pairwise)
            w.WriteLine($"  {p.Block.Name} ({p.Block.ShortName.ToUpperInvariant()} {p.Mode.Name()}, {p.Height}x{p.Width}): attention cosine {Num(p.AttentionCosine.Mean)}, JSD {Num(p.AttentionJensenShannon.Mean)}; " +
                $"cosine input {Num(p.InputCosine.Mean)} -> output {Num(p.OutputCosine.Mean)}");
        foreach (var p in analysis.Pooling)
            w.WriteLine($"  {p.Block.Name} ({p.Block.Type}, {p.Positions} positions): map entropy / ln(HW) {Num(p.Entropy.Mean)} (1 = uniform)" +
                (p.RegionMass.Values.Count > 0 ? $"; weight on the objects {Num(p.RegionMass.Mean)} over {Num(p.RegionArea.Mean)} of the area" : ""));
        w.WriteLine($"Report: {Path.Combine(options.OutDir, Markdown)}");
    }

    /// <summary>4 decimals, or 3 significant digits below 0.001 (which would print as zero), or n/a.</summary>
    public static string Num(double v) =>
        double.IsNaN(v) ? "n/a" : v == 0 || Math.Abs(v) >= 1e-3 ? v.ToString("F4", CultureInfo.InvariantCulture) : v.ToString("0.00e+0", CultureInfo.InvariantCulture);

    private static string Cell(Summary s) => s.Values.Count == 0 ? "n/a" : $"{Num(s.Mean)} ± {Num(s.Std)}";

    private string MarkdownText()
    {
        var md = new StringBuilder();
        md.AppendLine($"# Attention analysis: {model}").AppendLine();
        md.AppendLine($"{(weights is null ? $"Run `{options.Run}`, checkpoint `{options.Checkpoint}` (epoch {epoch})" : $"Weights `{weights}`")}, on {analysis.Images} test images spread evenly over " +
            $"the test set (image i of N is test image floor(i * count / N)); the pictures show the first {Math.Min(options.Show, analysis.Images)}. Data: {data}.").AppendLine();
        md.Append(AnalysisGuide.Text);
        if (analysis.Pairwise.Count > 0)
        {
            md.AppendLine().AppendLine("## Non-local blocks: GCNet's Table 1").AppendLine();
            md.AppendLine("Mean ± std over the images (stats.json has the minimum, the maximum and every image's value).").AppendLine();
            md.AppendLine("| block | mode | map | Np | Np' | attention cosine | attention JSD | entropy / ln Np' | input cosine | output cosine |");
            md.AppendLine("| --- | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
            foreach (var p in analysis.Pairwise)
                md.AppendLine($"| `{p.Block.Name}` | {p.Mode.Name()} | {p.Height}x{p.Width} | {p.Positions} | {p.Keys} | {Cell(p.AttentionCosine)} | {Cell(p.AttentionJensenShannon)} | " +
                    $"{Cell(p.Entropy)} | {Cell(p.InputCosine)} | {Cell(p.OutputCosine)} |");
            foreach (var p in analysis.Pairwise)
            {
                md.AppendLine().AppendLine($"### `{p.Block.Name}`").AppendLine();
                if (p.Positions < 2)
                {
                    md.AppendLine("Its map has a single position: no pair to measure, nothing to draw.");
                    continue;
                }
                md.AppendLine($"Query points (row, column) on the {p.Height}x{p.Width} map: {string.Join(", ", p.QueryPoints.Select((q, i) => $"Q{i + 1} ({q.y}, {q.x})"))}.").AppendLine();
                md.AppendLine(p.CanRender
                    ? $"![attention maps of {p.Block.Name}]({PictureName(p.Block)})"
                    : $"Its {p.Keys} keys form no grid over the map, so the maps are not drawn.");
            }
        }
        if (analysis.Pooling.Count > 0)
        {
            md.AppendLine().AppendLine("## GC and SNL blocks: the pooling map").AppendLine();
            bool regions = analysis.Pooling.Any(p => p.RegionMass.Values.Count > 0);
            if (regions)
                md.AppendLine("Weight on the objects: the map's weight on the cells of the scene's objects (by the share of each cell's pixels in them); uniform pooling puts there the objects' share of the area.").AppendLine();
            md.AppendLine($"| block | type | map | entropy / ln(HW) |{(regions ? " weight on the objects | objects' share of the area |" : "")}").AppendLine($"| --- | --- | --- | ---: |{(regions ? " ---: | ---: |" : "")}");
            foreach (var p in analysis.Pooling)
                md.AppendLine($"| `{p.Block.Name}` | {p.Block.Type} | {(p.Grid is { } g ? $"{g.height}x{g.width}" : $"{p.Positions} positions")} | {Cell(p.Entropy)} |{(regions ? $" {Cell(p.RegionMass)} | {Cell(p.RegionArea)} |" : "")}");
            foreach (var p in analysis.Pooling)
            {
                md.AppendLine().AppendLine($"### `{p.Block.Name}`").AppendLine();
                md.AppendLine(p.CanRender
                    ? $"![pooling map of {p.Block.Name}]({PictureName(p.Block)})"
                    : $"Its {p.Positions} positions fit no downsampling of the image, so the map is not drawn.");
            }
        }
        if (analysis.WithoutMap.Count > 0)
        {
            md.AppendLine().AppendLine("## Attention blocks without a spatial map").AppendLine();
            md.AppendLine("These weight channels (or branches), not positions; there is nothing to draw or compare between queries.").AppendLine();
            foreach (var b in analysis.WithoutMap) md.AppendLine($"- `{b.Name}` ({b.Type})");
        }
        md.AppendLine().AppendLine($"Made by `ctxnet analyze {options.Run} --images {options.Images} --queries {options.Queries} --show {options.Show} --checkpoint {options.Checkpoint}`.");
        return md.ToString();
    }
}
