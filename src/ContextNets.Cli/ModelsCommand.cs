using System.CommandLine;
using System.Globalization;
using ContextNets.Models;

namespace ContextNets.Cli;

/// <summary>
/// `ctxnet models [NAME] [--compare BASE] [--size S]`: the zoo with parameters and operations at each model's default
/// input (224x224x3 for the ImageNet models, 28x28x1 for the CIFAR-style ones), or one model module by module.
/// MACs are multiply-adds of convs, linear layers and attention products; GFLOPs = 2 x GMACs.
/// </summary>
internal static class ModelsCommand
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    public static Command Create()
    {
        var name = new Argument<string?>("name") { Description = "Show this model module by module (top-level modules and attention blocks).", Arity = ArgumentArity.ZeroOrOne };
        var compare = new Option<string?>("--compare") { Description = "Also print what each model adds over this one (models with the same default input)." };
        var size = new Option<int?>("--size") { Description = "Square input size instead of each model's default." };
        var command = new Command("models", "List the model zoo with parameter counts and GMACs (GFLOPs = 2 x GMACs), or profile one model.") { name, compare, size };
        command.SetAction(result =>
        {
            string? one = result.GetValue(name), basis = result.GetValue(compare);
            int? side = result.GetValue(size);
            if (one is not null && basis is null && Models.Video.VideoZoo.Contains(one)) { VideoModels.Detail(one); return 0; }
            foreach (var n in new[] { one, basis })
                if (n is not null && !Zoo.Contains(n))
                {
                    Console.Error.WriteLine($"No model named '{n}'. Known models: {string.Join(", ", Zoo.Names)}.");
                    return 2;
                }
            if (side is < 1)
            {
                Console.Error.WriteLine($"--size must be positive, got {side}.");
                return 2;
            }
            if (one is not null) Detail(one, basis, side);
            else Table(basis, side);
            if (one is null && basis is null) VideoModels.Table();
            return 0;
        });
        return command;
    }

    private static void Table(string? basis, int? side)
    {
        var names = Zoo.Names.AsEnumerable();
        ModelProfile? reference = null;
        if (basis is not null)
        {
            var b = Zoo.Entry(basis);
            names = names.Where(n => Zoo.Entry(n) is var e && e.InputSize == b.InputSize && e.DefaultInChannels == b.DefaultInChannels);
            reference = Zoo.Profile(basis, side);
            Console.WriteLine($"Compared with {basis} at {Input(reference)}: what each model adds in parameters and multiply-adds.");
        }
        // Building a model (initializing its weights) is what takes the time; two at once use both cores.
        var profiles = names.AsParallel().AsOrdered().WithDegreeOfParallelism(Math.Max(1, Math.Min(Environment.ProcessorCount, 4)))
            .Select(n => (n, p: Zoo.Profile(n, side))).ToList();
        var rows = new List<string[]>();
        foreach (var (n, p) in profiles)
        {
            var t = p.Total;
            var row = new List<string> { n, Count(t.Params), Significant(t.Ops.GMacs), Significant(t.Ops.GFlops) };
            if (reference is not null)
            {
                var r = reference.Total;
                row.Add(Signed(t.Params - r.Params, r.Params));
                row.Add(Signed(t.Ops.Macs - r.Ops.Macs, r.Ops.Macs));
            }
            row.Add(Input(p));
            row.Add(Zoo.Describe(n));
            rows.Add([.. row]);
        }
        string[] header = reference is null
            ? ["model", "params", "GMACs", "GFLOPs", "input", "description"]
            : ["model", "params", "GMACs", "GFLOPs", "+params", "+MACs", "input", "description"];
        Print(header, rows);
    }

    private static void Detail(string name, string? basis, int? side)
    {
        var p = Zoo.Profile(name, side);
        var r = basis is null ? null : Zoo.Profile(basis, side);
        Console.WriteLine($"{name} at {Input(p)}: {Zoo.Describe(name)}");
        Console.WriteLine($"{Count(p.Total.Params)} parameters, {Significant(p.Total.Ops.GMacs)} GMACs ({Significant(p.Total.Ops.GFlops)} GFLOPs), {Count(p.Total.Ops.OtherOps)} other ops (BN, pools, sums, softmax, gates).");
        Console.WriteLine();
        var rows = p.TopLevel.Select(m => Row(m, r?.Modules.FirstOrDefault(o => o.Name == m.Name))).ToList();
        rows.Add(Row(p.Total with { Name = "(total)" }, r?.Total));
        Print(Header("module", r is not null), rows);

        var attention = p.Attention.ToList();
        if (attention.Count == 0) return;
        Console.WriteLine();
        Console.WriteLine($"{attention.Count} attention blocks:");
        var blocks = attention.Select(m => new[] { m.Name, m.Type, m.Input.ToString(), Count(m.Params), Count(m.Ops.Macs), Count(m.Ops.OtherOps) }).ToList();
        long params_ = attention.Sum(m => m.Params), macs = attention.Sum(m => m.Ops.Macs), other = attention.Sum(m => m.Ops.OtherOps);
        blocks.Add(["(all)", "", "", Count(params_), Count(macs), Count(other)]);
        Print(["block", "type", "input", "params", "MACs", "other"], blocks);
        Console.WriteLine($"The attention blocks hold {Percent(params_, p.Total.Params)} of the parameters and {Percent(macs, p.Total.Ops.Macs)} of the MACs.");
    }

    private static string[] Header(string first, bool compare) =>
        compare ? [first, "params", "MACs", "other", "+params", "+MACs"] : [first, "params", "MACs", "other"];

    private static string[] Row(ModuleProfile m, ModuleProfile? basis)
    {
        var row = new List<string> { m.Name, Count(m.Params), Count(m.Ops.Macs), Count(m.Ops.OtherOps) };
        if (basis is not null)
        {
            row.Add(Signed(m.Params - basis.Params, basis.Params));
            row.Add(Signed(m.Ops.Macs - basis.Ops.Macs, basis.Ops.Macs));
        }
        return [.. row];
    }

    private static string Input(ModelProfile p) => $"{p.Input[2]}x{p.Input[3]}x{p.Input[1]}";

    // 25.56M, 272.19K, 4.10G: two decimals in the largest unit that keeps the value at least 1.
    private static string Count(long v)
    {
        double a = Math.Abs((double)v);
        var (div, unit) = a >= 1e9 ? (1e9, "G") : a >= 1e6 ? (1e6, "M") : a >= 1e3 ? (1e3, "K") : (1, "");
        return (a / div).ToString(unit.Length == 0 ? "F0" : "F2", Inv) + unit;
    }

    // Three significant digits: 4.09, 0.0307, 15.6.
    internal static string Significant(double v) =>
        v == 0 ? "0" : v.ToString("F" + Math.Clamp(2 - (int)Math.Floor(Math.Log10(Math.Abs(v))), 0, 6), Inv);

    private static string Percent(long part, long whole) => whole == 0 ? "-" : (100.0 * part / whole).ToString("F2", Inv) + "%";

    // A difference with its share of the reference, e.g. "+2.52M (+9.9%)".
    private static string Signed(long delta, long reference)
    {
        string sign = delta > 0 ? "+" : delta < 0 ? "-" : "";
        double pct = Math.Abs(100.0 * delta / reference);
        string share = reference == 0 ? "" : $" ({sign}{pct.ToString(pct < 1 ? "F2" : "F1", Inv)}%)";
        return $"{sign}{Count(Math.Abs(delta))}{share}";
    }

    private static void Print(string[] header, List<string[]> rows)
    {
        var widths = header.Select((h, i) => Math.Max(h.Length, rows.Count == 0 ? 0 : rows.Max(r => i < r.Length ? r[i].Length : 0))).ToArray();
        bool Numeric(int i) => i > 0 && header[i] is not ("description" or "type" or "input");
        string Line(string[] cells) => string.Join("  ", cells.Select((c, i) =>
            i == cells.Length - 1 && !Numeric(i) ? c : Numeric(i) ? c.PadLeft(widths[i]) : c.PadRight(widths[i]))).TrimEnd();
        Console.WriteLine(Line(header));
        foreach (var r in rows) Console.WriteLine(Line(r));
    }
}
