using ContextNets.NN;

namespace ContextNets.IO.Mapping;

/// <summary>The outcome of mapping a file's keys onto a model's, before any value is read.</summary>
/// <param name="Convention">The convention used (never Auto).</param>
/// <param name="Evidence">The key that made auto-detection choose it (null when chosen by the caller, or by default).</param>
/// <param name="Entries">Every key of the file in file order, with its target in the model or none.</param>
/// <param name="Unused">Keys of the file no model key takes (BatchNorm counters excepted).</param>
/// <param name="Missing">Keys of the model no file key reaches.</param>
/// <param name="Ignored">PyTorch's num_batches_tracked counters: no layer here has them.</param>
public sealed record KeyMap(KeyConvention Convention, string? Evidence, IReadOnlyList<MappedKey> Entries,
    IReadOnlyList<string> Unused, IReadOnlyList<string> Missing, IReadOnlyList<string> Ignored)
{
    /// <summary>The convention's name, with the evidence when it was detected.</summary>
    public string Describe() =>
        KeyConventions.Name(Convention) + (Evidence is null ? "" : $" (detected from '{Evidence}')");
}

/// <summary>
/// Rewrites a checkpoint's keys into a model's by a <see cref="KeyRules"/> table and checks the result: two file
/// keys may not land on one model key, and every landed tensor must have the model's shape, or differ only in
/// singleton dimensions where its rule allows that. Errors name the file key, the model key and both shapes (every
/// mismatch, up to five).
/// </summary>
public static class KeyMapper
{
    public static KeyMap Map(IReadOnlyList<(string key, Shape shape)> source, IReadOnlyDictionary<string, Shape> model, KeyConvention convention)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(model);
        string? evidence = null;
        // A key the model itself has, or a BatchNorm batch counter, is no evidence of a foreign convention: a detector's
        // own keys start with `backbone.` as OpenMMLab's do, and torchvision's video `stem.1.num_batches_tracked` looks
        // like mmcv's stem.
        if (convention == KeyConvention.Auto) (convention, evidence) = ConventionDetector.Detect(source.Select(s => s.key).Where(k => !model.ContainsKey(k) && !IsBatchCounter(k)));
        var rules = KeyRules.For(convention);

        var entries = new List<MappedKey>(source.Count);
        var unused = new List<string>();
        var ignored = new List<string>();
        var taken = new Dictionary<string, string>(StringComparer.Ordinal);
        var mismatches = new List<string>();
        foreach (var (key, shape) in source)
        {
            var candidates = Rewrite(key, rules);
            var hit = candidates.FirstOrDefault(c => model.ContainsKey(c.name));
            if (hit.name is null)
            {
                entries.Add(new MappedKey(key, null, shape, null));
                (IsBatchCounter(key) ? ignored : unused).Add(key);
                continue;
            }
            if (taken.TryGetValue(hit.name, out var first))
                throw new InvalidDataException($"The keys '{first}' and '{key}' both map to '{hit.name}' ({KeyConventions.Name(convention)} names); the file holds the same tensor twice.");
            taken[hit.name] = key;
            var target = model[hit.name];
            if (target != shape && !(hit.squeeze && SameUpToSingletons(shape, target)))
                mismatches.Add(key == hit.name
                    ? $"'{key}' has shape {shape} in the file, but the model's is {target}"
                    : $"'{key}' (the model's '{hit.name}') has shape {shape} in the file, but the model's is {target}");
            entries.Add(new MappedKey(key, hit.name, shape, target));
        }
        if (mismatches.Count > 0)
            throw new InvalidDataException($"{string.Join("; ", mismatches.Take(5))}{(mismatches.Count > 5 ? $"; and {mismatches.Count - 5} more" : "")}.");
        var missing = model.Keys.Where(k => !taken.ContainsKey(k)).ToList();
        return new KeyMap(convention, evidence, entries, unused, missing, ignored);
    }

    /// <summary>Every name the rules can make of a key, in preference order, and whether a rule on the way allows reshaping.</summary>
    internal static List<(string name, bool squeeze)> Rewrite(string key, IReadOnlyList<KeyRule> rules)
    {
        var names = new List<(string name, bool squeeze)> { (key, false) };
        foreach (var rule in rules)
        {
            var next = new List<(string, bool)>(names.Count);
            foreach (var (name, squeeze) in names)
            {
                if (!rule.Regex.IsMatch(name))
                {
                    next.Add((name, squeeze));
                    continue;
                }
                foreach (string replacement in rule.Replacements)
                    next.Add((rule.Regex.Replace(name, replacement, 1), squeeze || rule.Squeeze));
            }
            names = next;
        }
        return names;
    }

    private static bool SameUpToSingletons(Shape a, Shape b) =>
        a.Numel == b.Numel && a.Dims.ToArray().Where(d => d != 1).SequenceEqual(b.Dims.ToArray().Where(d => d != 1));

    private static bool IsBatchCounter(string key) =>
        key == "num_batches_tracked" || key.EndsWith(".num_batches_tracked", StringComparison.Ordinal);
}
