namespace ContextNets.Autograd;

/// <summary>
/// The one shape of a fused op (as candle's CustomOp): a name, a forward that computes the output from its inputs
/// and keeps what its backward needs, and that backward, which gives one gradient per input (null where an input
/// needs none). Every block's fused op takes this shape, so that it plugs into autograd the same way: one
/// application is one object, which holds the forward's saved buffers and side outputs (a block's attention map,
/// its gate) until its backward has run, or until <see cref="Release"/> when no graph was recorded.
/// </summary>
internal abstract class FusedOp
{
    /// <summary>The op's name on the tape, in errors and in gradient checks.</summary>
    public abstract string Name { get; }

    /// <summary>The output of the op on the tensors it was built with.</summary>
    protected abstract Tensor Forward();

    /// <summary>The gradient of each input from the gradient of the output, in the order of the inputs.</summary>
    protected abstract Tensor?[] Backward(Tensor gradOutput);

    /// <summary>Frees what the forward kept for a backward that will not run (no input wanted a gradient).</summary>
    protected virtual void Release() { }

    /// <summary>
    /// Runs the forward, and records the backward when some input requires a gradient. <paramref name="inputs"/> are
    /// the op's tensors that may want a gradient, in the order <see cref="Backward"/> returns their gradients.
    /// </summary>
    public Tensor Apply(params Tensor[] inputs)
    {
        var output = Forward();
        if (!Tape.ShouldRecord(inputs))
        {
            Release();
            return output;
        }
        return Tape.Record(output, Name, inputs, Backward);
    }
}
