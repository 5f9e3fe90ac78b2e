using ContextNets.Tests.Reference;

namespace ContextNets.Tests.Support;

/// <summary>Runs an op on the fast path with gradients on, and hands back its output and input gradients as reference tensors.</summary>
internal static class Fast
{
    public static (RefTensor y, RefTensor?[] grads) ForwardBackward(Func<Tensor[], Tensor> op, RefTensor[] inputs, RefTensor gy,
        MemoryFormat format = MemoryFormat.Contiguous, bool[]? needsGrad = null)
    {
        using var scope = Tensor.Scope();
        var xs = inputs.Select((r, i) =>
        {
            var t = r.ToTensor();
            if (format == MemoryFormat.ChannelsLast && t.Rank is 4 or 5 && i == 0) t = F.Materialize(t, MemoryFormat.ChannelsLast);
            t.RequiresGrad = needsGrad?[i] ?? true;
            return t;
        }).ToArray();
        var y = op(xs);
        y.Backward(gy.ToTensor());
        var grads = xs.Select(t => t.Grad is null ? null : RefTensor.From(t.Grad)).ToArray();
        foreach (var t in xs) t.ZeroGrad();
        return (RefTensor.From(y), grads);
    }
}
