using System.Globalization;
using ContextNets.Models.Inference;

namespace ContextNets.Cli;

/// <summary>The per-layer int8 report: each folded conv's input scale, its SQNR against f32, and whether it fell back to f32.</summary>
internal static class QuantizationReport
{
    /// <summary>The report's first line: the calibration method and how many convs run in int8.</summary>
    public static string Summary(QuantizationTable table) =>
        $"int8 ({Int8Choice.Name(table.Method)} scales): {table.Layers.Count - table.FallbackCount} of {table.Layers.Count} convs in int8";

    public static void Print(QuantizationTable table, IReadOnlyList<BlockQuantization>? attention = null)
    {
        Console.WriteLine(Summary(table));
        Console.WriteLine("   #  conv                              input      scale   SQNR dB  runs in");
        for (int i = 0; i < table.Layers.Count; i++)
        {
            var l = table.Layers[i];
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{i,4}  {l.Conv,-32}  {(l.Input.Unsigned ? "u8" : "s8"),5}  {l.Input.Scale,9:G4}  {l.SqnrDb,8:F1}  {(l.Precision == Precision.Int8 ? "int8" : "fp32 (fallback)")}"));
        }
        if (attention is null || attention.Count == 0) return;
        Console.WriteLine("attention blocks in simulated int8, SQNR dB against f32 of the output y and of the block's contribution y - x:");
        foreach (var b in attention) Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"      {b.Block,-12}  {b.SqnrDb,8:F1}  {(double.IsNaN(b.ContributionSqnrDb) ? "-" : b.ContributionSqnrDb.ToString("F1", CultureInfo.InvariantCulture)),8}"));
    }
}
