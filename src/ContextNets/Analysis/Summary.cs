namespace ContextNets.Analysis;

/// <summary>Per-image values of one measurement and their mean, standard deviation (population), minimum and maximum.</summary>
public sealed record Summary(IReadOnlyList<double> Values)
{
    public double Mean => Values.Count == 0 ? double.NaN : Values.Average();

    public double Std
    {
        get
        {
            if (Values.Count == 0) return double.NaN;
            double mean = Mean;
            return Math.Sqrt(Values.Sum(v => (v - mean) * (v - mean)) / Values.Count);
        }
    }

    public double Min => Values.Count == 0 ? double.NaN : Values.Min();
    public double Max => Values.Count == 0 ? double.NaN : Values.Max();
}
