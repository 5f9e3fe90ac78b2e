using System.Text.RegularExpressions;

namespace ContextNets.IO.Mapping;

/// <summary>
/// One rewrite of a checkpoint key: where <see cref="Pattern"/> matches (first match only), it is replaced by each of
/// <see cref="Replacements"/> in turn, and the first result the model has is taken, which is how a plugin name that
/// mmdet places in one of two spots finds ours. <see cref="Squeeze"/> lets the value drop or gain singleton
/// dimensions on the way ([p, 1, 1] to [p]); <see cref="Why"/> says where the rule comes from.
/// </summary>
public sealed class KeyRule(string pattern, string[] replacements, string why, bool squeeze = false)
{
    public string Pattern { get; } = pattern;
    public IReadOnlyList<string> Replacements { get; } = replacements;
    public string Why { get; } = why;
    public bool Squeeze { get; } = squeeze;

    internal Regex Regex { get; } = new(pattern, RegexOptions.CultureInvariant);

    public override string ToString() => $"{Pattern} -> {string.Join(" | ", Replacements)}";
}
