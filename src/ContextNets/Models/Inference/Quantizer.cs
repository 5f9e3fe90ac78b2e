namespace ContextNets.Models.Inference;

/// <summary>
/// Lowers a prepared model's folded convs to int8: from saved scales as they are, or from a calibration, after which
/// each conv's int8 output is compared with its f32 output on the first calibration batch (its SQNR) and a conv below
/// <see cref="InferenceOptions.MinSqnrDb"/> goes back to f32. The comparison runs conv by conv on the inputs the
/// lowered model actually gives each conv, so that upstream error is in the input but not counted against the layer.
/// </summary>
internal static class Quantizer
{
    public static QuantizationTable Apply(Func<Tensor, Tensor> predict, IReadOnlyList<FoldedConv> convs, int inChannels, InferenceOptions options)
    {
        if (options.Quantization is { } saved) return FromTable(convs, saved);
        Calibration.Validate(options.Calibration, inChannels);
        var images = options.Calibration!;
        var inputs = Calibration.Scales(predict, convs, images, options);
        for (int i = 0; i < convs.Count; i++) convs[i].Lower(Precision.Int8, inputs[i]);
        var sqnr = Sqnr(predict, convs, images, options.CalibrationBatchSize);
        var layers = new List<LayerQuantization>();
        for (int i = 0; i < convs.Count; i++)
        {
            bool fallback = sqnr[i] < options.MinSqnrDb;
            if (fallback) convs[i].Lower(Precision.Fp32);
            layers.Add(new LayerQuantization(convs[i].Description, fallback ? Precision.Fp32 : Precision.Int8, inputs[i], sqnr[i]));
        }
        return new QuantizationTable(options.Method, layers);
    }

    private static QuantizationTable FromTable(IReadOnlyList<FoldedConv> convs, QuantizationTable table)
    {
        if (table.Layers.Count != convs.Count)
            throw new ArgumentException($"The saved int8 scales are for {table.Layers.Count} convs, but this model has {convs.Count}: they belong to another model.");
        for (int i = 0; i < convs.Count; i++)
        {
            var layer = table.Layers[i];
            if (layer.Conv != convs[i].Description)
                throw new ArgumentException($"Saved int8 scale {i} is for a conv {layer.Conv}, but this model's conv {i} is {convs[i].Description}: they belong to another model.");
            convs[i].Lower(layer.Precision, layer.Input);
        }
        return table;
    }

    /// <summary>10 log10(sum y^2 / sum (y - y_int8)^2) of every conv, over the first batch of images (infinite when exact).</summary>
    private static double[] Sqnr(Func<Tensor, Tensor> predict, IReadOnlyList<FoldedConv> convs, Tensor images, int batchSize)
    {
        var index = convs.Select((c, i) => (c, i)).ToDictionary(p => p.c, p => p.i);
        var signal = new double[convs.Count];
        var noise = new double[convs.Count];
        using var first = F.Slice(images, 0, 0, Math.Min(batchSize, images.Shape[0]));
        Action<FoldedConv, Tensor>? observe = null;
        observe = (conv, x) =>
        {
            using var reference = conv.RunFp32(x);
            // The lowered run of the same input, unwatched, then the watch goes back on for the conv's next input.
            conv.Observer = null;
            using var lowered = conv.Run(x);
            conv.Observer = observe;
            var (r, q) = (reference.ToArray(), lowered.ToArray());
            int i = index[conv];
            for (int j = 0; j < r.Length; j++)
            {
                signal[i] += (double)r[j] * r[j];
                noise[i] += ((double)r[j] - q[j]) * ((double)r[j] - q[j]);
            }
        };
        Calibration.Watch(predict, convs, first, batchSize, observe);
        return [.. signal.Zip(noise, (s, n) => n == 0 ? double.PositiveInfinity : 10 * Math.Log10(s / n))];
    }
}
