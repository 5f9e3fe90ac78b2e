namespace ContextNets.Analysis;

/// <summary>The argument checks the pair means share.</summary>
internal static class PairShape
{
    public static void Check(string what, int length, int count, int dim)
    {
        if (count < 2 || dim < 1)
            throw new ArgumentException($"{what}: a [{count}, {dim}] matrix has no pair of rows; it needs at least 2 rows of at least 1 value.");
        if ((long)count * dim != length)
            throw new ArgumentException($"{what}: {length} values are not a [{count}, {dim}] matrix ({(long)count * dim} values).");
    }
}
