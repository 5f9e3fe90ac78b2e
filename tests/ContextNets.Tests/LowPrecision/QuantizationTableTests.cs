using ContextNets.Models.Inference;

namespace ContextNets.Tests.LowPrecision;

/// <summary>The saved int8 scales: a round trip, and the strict parser's refusals, each naming the source.</summary>
public class QuantizationTableTests
{
    public static QuantizationTable Sample { get; } = new(CalibrationMethod.Percentile,
    [
        new LayerQuantization("1->16 3x3 stride 1", Precision.Int8, new ActivationQuantization(0.015931f, Unsigned: false), 43.9),
        new LayerQuantization("16->16 3x3 stride 1", Precision.Fp32, new ActivationQuantization(3.1e-7f, Unsigned: true), 12.25),
    ]);

    [Fact]
    public void TheJsonRoundTripsExactly()
    {
        var back = QuantizationTable.Parse(Sample.ToJson());
        Assert.Equal(Sample.Method, back.Method);
        Assert.Equal(Sample.Layers, back.Layers);
        Assert.Equal(Sample.ToJson(), back.ToJson());
    }

    [Theory]
    [InlineData("not json", "not valid JSON")]
    [InlineData("[]", "is not a JSON object")]
    [InlineData("{\"format\":2,\"method\":\"minmax\",\"layers\":[]}", "format 2")]
    [InlineData("{\"format\":1,\"method\":\"kl\",\"layers\":[]}", "unknown calibration method 'kl'")]
    [InlineData("{\"format\":1,\"method\":\"minmax\",\"layers\":[]}", "list no layers")]
    [InlineData("{\"format\":1,\"method\":\"minmax\",\"layers\":[],\"extra\":1}", "unknown field 'extra'")]
    [InlineData("{\"format\":1,\"method\":\"minmax\"}", "lacks the field 'layers'")]
    [InlineData("{\"format\":1,\"method\":\"minmax\",\"layers\":[{\"conv\":\"c\",\"precision\":\"int8\",\"scale\":0,\"unsigned\":true,\"sqnr_db\":1}]}", "scale 0 is not positive")]
    [InlineData("{\"format\":1,\"method\":\"minmax\",\"layers\":[{\"conv\":\"c\",\"precision\":\"int8\",\"scale\":1e-60,\"unsigned\":true,\"sqnr_db\":1}]}", "is not positive")]
    [InlineData("{\"format\":1,\"method\":\"minmax\",\"layers\":[{\"conv\":\"c\",\"precision\":\"int4\",\"scale\":1,\"unsigned\":true,\"sqnr_db\":1}]}", "precision 'int4'")]
    [InlineData("{\"format\":1,\"method\":\"minmax\",\"layers\":[{\"conv\":\"c\",\"precision\":\"int8\",\"scale\":1,\"unsigned\":1,\"sqnr_db\":1}]}", "'unsigned' is not true or false")]
    [InlineData("{\"format\":1,\"method\":\"minmax\",\"layers\":[{\"conv\":\"c\",\"precision\":\"int8\",\"scale\":\"1\",\"unsigned\":true,\"sqnr_db\":1}]}", "'scale' is not a finite number")]
    [InlineData("{\"format\":1,\"method\":\"minmax\",\"layers\":[{\"conv\":\"c\",\"conv\":\"c\",\"precision\":\"int8\",\"scale\":1,\"unsigned\":true,\"sqnr_db\":1}]}", "repeats a field")]
    public void MalformedScalesAreRefusedByName(string json, string expected)
    {
        var e = Assert.Throws<InvalidDataException>(() => QuantizationTable.Parse(json, "model.safetensors"));
        Assert.StartsWith("model.safetensors: ", e.Message);
        Assert.Contains(expected, e.Message);
    }
}
