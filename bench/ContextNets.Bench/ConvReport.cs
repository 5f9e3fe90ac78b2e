using System.Text.Json.Nodes;

namespace ContextNets.Bench;

/// <summary>The console table and the JSON of one convolution run.</summary>
internal sealed class ConvReport(
    int batch, IReadOnlyList<ConvShape> convs, Dictionary<string, OurConvs.Result> ours,
    Dictionary<string, Dictionary<string, TorchConvs.Result>> torch)
{
    public void PrintTable(string[] layouts)
    {
        string primary = layouts.FirstOrDefault() ?? "";
        var extra = layouts.Skip(1).ToArray();
        string Extra(Func<string, string> cell) => string.Concat(extra.Select(l => $" {cell(l),8}"));
        string head = $"{"conv",-14} {"ours fwd",9} {"torch fwd",9} {"ratio",6}" + Extra(l => "r " + Short(l)) +
                      $" {"ours f+b",9} {"torch f+b",9} {"ratio",6}" + Extra(l => "r " + Short(l)) + $" {"GF/s fwd",8} {"GF/s f+b",8}";
        Console.WriteLine();
        Console.WriteLine($"ResNet-50 convolutions, batch {batch}, ms (median); ratio = ours / PyTorch {primary}" +
                          (extra.Length > 0 ? $"; r {Short(extra[0])} = ours / PyTorch {extra[0]}" : ""));
        Console.WriteLine(head);
        foreach (var c in convs)
        {
            var o = ours[c.Name];
            var t = torch.GetValueOrDefault(primary)?[c.Name];
            double gf = c.ForwardFlops(batch) / 1e6;
            Console.WriteLine($"{c.Name,-14} {o.FwdMs,9:F2} {Ms(t?.FwdMs),9} {Ratio(o.FwdMs, t?.FwdMs),6}" +
                              Extra(l => Ratio(o.FwdMs, torch[l][c.Name].FwdMs)) +
                              $" {o.FwdBwdMs,9:F2} {Ms(t?.FwdBwdMs),9} {Ratio(o.FwdBwdMs, t?.FwdBwdMs),6}" +
                              Extra(l => Ratio(o.FwdBwdMs, torch[l][c.Name].FwdBwdMs)) +
                              $" {gf / o.FwdMs,8:F1} {3 * gf / o.FwdBwdMs,8:F1}");
        }
        foreach (var l in layouts)
        {
            var g = GeoMeans(l);
            var total = Totals(l);
            Console.WriteLine($"geomean ratio vs PyTorch {l}: fwd {g.fwd:F3}, fwd+bwd {g.fwdBwd:F3}; " +
                              $"ResNet-50 conv total (x count) ms: fwd {Totals(null).fwd:F1} vs {total.fwd:F1}, fwd+bwd {Totals(null).fwdBwd:F1} vs {total.fwdBwd:F1}");
        }
    }

    public JsonObject ToJson()
    {
        var shapes = new JsonArray();
        foreach (var c in convs)
        {
            var o = ours[c.Name];
            double gf = c.ForwardFlops(batch) / 1e9;
            var entry = new JsonObject
            {
                ["name"] = c.Name, ["cin"] = c.Cin, ["cout"] = c.Cout, ["k"] = c.K, ["stride"] = c.Stride, ["pad"] = c.Pad,
                ["hw"] = c.Hw, ["count"] = c.Count, ["fwd_gflop"] = R(gf),
                ["ours"] = new JsonObject
                {
                    ["input_layout"] = o.InputLayout, ["fwd_ms"] = R(o.FwdMs), ["fwd_min_ms"] = R(o.FwdMinMs), ["fwd_reps"] = o.FwdReps,
                    ["fwd_bwd_ms"] = R(o.FwdBwdMs), ["fwd_bwd_min_ms"] = R(o.FwdBwdMinMs), ["fwd_bwd_reps"] = o.FwdBwdReps,
                    ["fwd_gflops"] = R(gf * 1e3 / o.FwdMs), ["fwd_bwd_gflops"] = R(3 * gf * 1e3 / o.FwdBwdMs),
                },
            };
            var torchEntry = new JsonObject();
            var ratios = new JsonObject();
            foreach (var (layout, results) in torch)
            {
                var t = results[c.Name];
                torchEntry[layout] = new JsonObject { ["fwd_ms"] = t.FwdMs, ["fwd_bwd_ms"] = t.FwdBwdMs };
                ratios[layout] = new JsonObject { ["fwd"] = R(o.FwdMs / t.FwdMs), ["fwd_bwd"] = R(o.FwdBwdMs / t.FwdBwdMs) };
            }
            entry["torch"] = torchEntry;
            entry["ratio"] = ratios;
            shapes.Add(entry);
        }
        var geo = new JsonObject();
        var totals = new JsonObject { ["ours"] = TotalsJson(null) };
        foreach (var layout in torch.Keys)
        {
            var g = GeoMeans(layout);
            geo[layout] = new JsonObject { ["fwd"] = R(g.fwd), ["fwd_bwd"] = R(g.fwdBwd) };
            totals[layout] = TotalsJson(layout);
        }
        return new JsonObject
        {
            ["ratio_definition"] = "ours_ms / torch_ms",
            ["shapes"] = shapes,
            ["geomean_ratio"] = geo,
            ["resnet50_conv_total_ms"] = totals,
        };
    }

    private (double fwd, double fwdBwd) GeoMeans(string layout) =>
        (Timing.GeometricMean(convs.Select(c => ours[c.Name].FwdMs / torch[layout][c.Name].FwdMs)),
         Timing.GeometricMean(convs.Select(c => ours[c.Name].FwdBwdMs / torch[layout][c.Name].FwdBwdMs)));

    /// <summary>Sum of time x count over the shapes: the convolutions of one ResNet-50 pass.</summary>
    private (double fwd, double fwdBwd) Totals(string? layout) =>
        layout is null
            ? (convs.Sum(c => c.Count * ours[c.Name].FwdMs), convs.Sum(c => c.Count * ours[c.Name].FwdBwdMs))
            : (convs.Sum(c => c.Count * torch[layout][c.Name].FwdMs), convs.Sum(c => c.Count * torch[layout][c.Name].FwdBwdMs));

    private JsonObject TotalsJson(string? layout)
    {
        var (f, fb) = Totals(layout);
        return new JsonObject { ["fwd"] = R(f), ["fwd_bwd"] = R(fb) };
    }

    private static double R(double v) => Math.Round(v, 3);
    private static string Ms(double? v) => v is { } x ? x.ToString("F2") : "-";
    private static string Ratio(double ours, double? theirs) => theirs is { } t ? (ours / t).ToString("F2") : "-";
    private static string Short(string layout) => layout == "channels_last" ? "cl" : layout;
}
