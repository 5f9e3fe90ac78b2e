using System.Text.Json;
using System.Text.Json.Nodes;
using ContextNets.Analysis;
using ContextNets.Attention;

namespace ContextNets.Cli;

/// <summary>stats.json: everything report.md shows, machine-readable, with each image's value; NaN is null.</summary>
internal static class AnalysisJson
{
    public static byte[] Bytes(AnalysisReport r)
    {
        var a = r.Analysis;
        var root = new JsonObject
        {
            ["model"] = r.Model,
            ["run"] = r.Weights is null ? Path.GetFullPath(r.Options.Run) : null,
            ["checkpoint"] = r.Weights is null ? r.Options.Checkpoint : null,
            ["weights"] = r.Weights,
            ["epoch"] = r.Epoch,
            ["data"] = r.Data,
            ["images"] = a.Images,
            ["test_indices"] = new JsonArray([.. r.Indices.Select(i => (JsonNode)i)]),
            ["queries"] = r.Options.Queries,
            ["shown_images"] = Math.Min(r.Options.Show, a.Images),
            ["non_local"] = new JsonArray([.. a.Pairwise.Select(p => (JsonNode)new JsonObject
            {
                ["name"] = p.Block.Name,
                ["mode"] = p.Mode.Name(),
                ["height"] = p.Height,
                ["width"] = p.Width,
                ["positions"] = p.Positions,
                ["keys"] = p.Keys,
                ["query_points"] = new JsonArray([.. p.QueryPoints.Select(q => (JsonNode)new JsonArray(q.y, q.x))]),
                ["attention_cosine"] = Stats(p.AttentionCosine),
                ["attention_jsd"] = Stats(p.AttentionJensenShannon),
                ["attention_entropy"] = Stats(p.Entropy),
                ["input_cosine"] = Stats(p.InputCosine),
                ["output_cosine"] = Stats(p.OutputCosine),
                ["heatmap"] = p.CanRender ? AnalysisReport.PictureName(p.Block) : null,
            })]),
            ["pooling"] = new JsonArray([.. a.Pooling.Select(p => (JsonNode)new JsonObject
            {
                ["name"] = p.Block.Name,
                ["type"] = p.Block.Type,
                ["positions"] = p.Positions,
                ["height"] = p.Grid?.height,
                ["width"] = p.Grid?.width,
                ["entropy"] = Stats(p.Entropy),
                ["region_mass"] = Stats(p.RegionMass),
                ["region_area"] = Stats(p.RegionArea),
                ["heatmap"] = p.CanRender ? AnalysisReport.PictureName(p.Block) : null,
            })]),
            ["without_map"] = new JsonArray([.. a.WithoutMap.Select(b => (JsonNode)new JsonObject { ["name"] = b.Name, ["type"] = b.Type })]),
        };
        return JsonSerializer.SerializeToUtf8Bytes(root, new JsonSerializerOptions { WriteIndented = true });
    }

    /// <summary>Mean, std, min, max and the per-image values; null when the measurement does not apply.</summary>
    private static JsonObject? Stats(Summary s) => s.Values.Count == 0 ? null : new JsonObject
    {
        ["mean"] = s.Mean,
        ["std"] = s.Std,
        ["min"] = s.Min,
        ["max"] = s.Max,
        ["per_image"] = new JsonArray([.. s.Values.Select(v => (JsonNode)v)]),
    };
}
