namespace ContextNets.Backend.Dnnl;

/// <summary>
/// oneDNN's output-scale attribute: the primitive multiplies its result by these factors before the post-ops, one
/// for the whole output (mask 0) or one per index of the dimensions the mask's bits name (mask 2: per output channel
/// of a convolution). Int8 kernels use it to turn their s32 sums back into real values, and quantizing reorders use
/// it to divide by a tensor's scale.
/// </summary>
internal sealed unsafe class OutputScales(int mask, float[] values)
{
    public int Mask { get; } = mask;

    public IReadOnlyList<float> Values { get; } = values;

    public static OutputScales Common(float value) => new(0, [value]);

    public void ApplyTo(nint attr)
    {
        fixed (float* v = values)
            DnnlRuntime.Check(DnnlNative.dnnl_primitive_attr_set_output_scales(attr, values.Length, Mask, v), "setting output scales");
    }
}
