namespace ContextNets.IO;

/// <summary>
/// Values no trained model holds, refused by name when weights are loaded: NaN or infinity in any tensor (a run
/// that diverged, or a corrupt file: every output would be NaN) and a negative BatchNorm `running_var` (a variance
/// cannot be negative; eval mode would take the square root of it). Refusing, not warning: a model that loads such
/// weights can only give wrong answers, and a warning scrolls past.
/// </summary>
internal static class WeightValues
{
    public static void Check(IReadOnlyDictionary<string, Tensor> tensors)
    {
        foreach (var (key, t) in tensors)
        {
            var values = t.ToArray();
            int bad = Array.FindIndex(values, v => !float.IsFinite(v));
            if (bad >= 0) throw new InvalidDataException($"'{key}' holds {values[bad]} at element {bad}: the weights are not finite numbers (a diverged run or a damaged file).");
            if (key == "running_var" || key.EndsWith(".running_var", StringComparison.Ordinal))
            {
                int negative = Array.FindIndex(values, v => v < 0);
                if (negative >= 0) throw new InvalidDataException($"'{key}' holds {values[negative]} at element {negative}: a BatchNorm variance cannot be negative.");
            }
        }
    }
}
