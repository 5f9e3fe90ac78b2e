namespace ContextNets.Export;

/// <summary>The opsets the exporter writes, and the IR version that goes with each.</summary>
internal static class OnnxOpsets
{
    public const int Min = 13, Max = 17;

    /// <summary>LayerNormalization became an ONNX op in opset 17; below it the exporter writes its decomposition.</summary>
    public const int LayerNormalization = 17;

    /// <summary>
    /// The IR version of the ONNX release that introduced the opset (1.8 and 1.9: IR 7 with opsets 13 and 14;
    /// 1.10 to 1.12: IR 8 with opsets 15 to 17), so that runtimes of that age read the file.
    /// </summary>
    public static long IrVersion(int opset) => opset <= 14 ? 7 : 8;

    public static void Check(int opset)
    {
        if (opset is < Min or > Max)
            throw new ArgumentException(
                $"ONNX export writes opsets {Min} to {Max}, not {opset}: below {Min} Softmax and the reductions have other semantics, " +
                $"and from 18 on the reductions take their axes as inputs.");
    }
}
