using System.Collections.Concurrent;

namespace ContextNets.Backend.Dnnl;

/// <summary>
/// Winograd convolution for inference: oneDNN's F(4x4, 3x3) (F(2x2, 3x3) at batch 1) kernels for 3x3, stride-1,
/// padding-1, ungrouped convolutions, in blocked layouts of their choosing. On this machine they ran the 3x3 convs
/// of ResNet-50 2.5 times faster than the direct kernels, reorders of the activations in and out included.
/// </summary>
internal static unsafe class DnnlWinograd
{
    private const int AlgWinograd = 2;
    private static readonly ConcurrentDictionary<PrimitiveKey, Lazy<Primitive?>> Primitives = new();

    public static bool Applies(in ConvGeometry g) =>
        g is { Kh: 3, Kw: 3, StrideH: 1, StrideW: 1, DilationH: 1, DilationW: 1, PadH: 1, PadW: 1, Groups: 1 };

    /// <summary>The inference primitive with a bias, or null when oneDNN has no Winograd kernel for this shape (remembered).</summary>
    public static Primitive? Forward(ConvGeometry g, PostOps? postOps)
    {
        var key = PrimitiveKey.For("conv_wino");
        g.AddTo(ref key);
        if (postOps is not null)
        {
            key.Add(postOps.Sum ? -1 : 0);
            foreach (int a in postOps.EltwiseAlgs) key.Add(a);
        }
        return Primitives.GetOrAdd(key.Build(), _ => new Lazy<Primitive?>(() =>
        {
            var src = Md.Any(g.N, g.Cin, g.H, g.W);
            var wmd = Md.Any(g.WeightDims);
            var bmd = Md.Plain(g.Cout);
            var dst = Md.Any(g.N, g.Cout, g.OutH, g.OutW);
            var desc = stackalloc byte[DnnlSizes.ConvolutionDesc];
            long* sp = stackalloc long[8];
            sp[0] = sp[1] = 1;
            sp[2] = sp[3] = 0;
            sp[4] = sp[5] = sp[6] = sp[7] = 1;
            if (DnnlNative.dnnl_dilated_convolution_forward_desc_init(desc, Prop.ForwardInference, AlgWinograd, &src, &wmd, &bmd, &dst, sp, sp + 2, sp + 4, sp + 6) != 0)
                return null;
            try
            {
                return Primitive.Create(desc, "creating a Winograd convolution", postOps: postOps);
            }
            catch (DnnlException)
            {
                return null;
            }
        }, LazyThreadSafetyMode.ExecutionAndPublication)).Value;
    }
}
