namespace ContextNets.Attention;

/// <summary>The pairwise function f(x_i, x_j) of a non-local block (Wang et al. 2018, section 3.2).</summary>
public enum Pairwise
{
    /// <summary>softmax_j(x_i . x_j) on the input itself.</summary>
    Gaussian,
    /// <summary>softmax_j(theta_i . phi_j), optionally over sqrt(inner).</summary>
    EmbeddedGaussian,
    /// <summary>(theta_i . phi_j) / Np.</summary>
    DotProduct,
    /// <summary>ReLU(w . [theta_i, phi_j]) / Np.</summary>
    Concatenation,
}

/// <summary>The mode names of reference/blocks.py and mmcv.</summary>
public static class PairwiseNames
{
    private static readonly (string name, Pairwise mode)[] Names =
    [
        ("gaussian", Pairwise.Gaussian), ("embedded_gaussian", Pairwise.EmbeddedGaussian),
        ("dot_product", Pairwise.DotProduct), ("concatenation", Pairwise.Concatenation),
    ];

    public static Pairwise Parse(string name)
    {
        foreach (var (n, mode) in Names)
            if (n == name) return mode;
        throw new ArgumentException($"Unknown non-local mode '{name}'; the modes are {string.Join(", ", Names.Select(n => n.name))}.");
    }

    public static string Name(this Pairwise mode) => Names.First(n => n.mode == mode).name;
}
