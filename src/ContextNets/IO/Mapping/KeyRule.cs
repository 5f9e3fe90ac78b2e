using System.Text.RegularExpressions;

namespace ContextNets.IO.Mapping;

/// <summary>
/// One rewrite of a checkpoint key: where <see cref="Pattern"/> matches (first match only), it is replaced by each of
/// <see cref="Replacements"/> in turn, and the first result the model has is taken, which is how a plugin name that
/// mmdet places in one of two spots finds ours. <see cref="Squeeze"/> lets the value drop or gain singleton
/// dimensions on the way ([p, 1, 1] to [p]); <see cref="Why"/> says where the rule comes from.
/// </summary>
public sealed record KeyRule(string Pattern, string[] Replacements, string Why, bool Squeeze = false)
{
    private Regex? _regex;

    internal Regex Regex => _regex ??= new Regex(Pattern, RegexOptions.CultureInvariant);
}
