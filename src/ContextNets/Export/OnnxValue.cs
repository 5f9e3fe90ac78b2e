namespace ContextNets.Export;

/// <summary>
/// A tensor of the graph being built: its name and its shape for the example input (the batch is dims[0]). The
/// emitters use the shape to fill in Reshape targets and to check what each module receives.
/// </summary>
internal sealed record OnnxValue(string Name, int[] Dims)
{
    public int Rank => Dims.Length;

    public Shape Shape => new(Dims);

    public override string ToString() => $"{Name} {Shape}";
}
