using ContextNets.Export.Proto;
using Google.Protobuf;

namespace ContextNets.Tests.Import;

/// <summary>
/// One seeded mutation of a sound ONNX model, as bytes, with its kind and whether it certainly breaks the file
/// (so that the importer must refuse it at load) or may leave it sound (flipped bytes may land in weight data).
/// </summary>
internal static class ImportFuzzMutations
{
    private static readonly string[] Kinds =
    [
        "bytes flipped", "truncated", "garbage inserted", "initializer dims", "initializer data cut", "missing input", "cycle",
        "opset", "unknown op", "attribute type", "attribute value", "attribute dropped", "initializer dropped", "data type",
        "second producer",
    ];

    public static (byte[] bytes, string kind, bool mustRefuse) Mutate(ModelProto sound, Rng rng)
    {
        string kind = Kinds[rng.NextInt(Kinds.Length)];
        var m = sound.Clone();
        var g = m.Graph;
        bool mustRefuse = true;
        switch (kind)
        {
            case "bytes flipped":
            {
                var bytes = m.ToByteArray();
                for (int k = rng.NextInt(1, 9); k > 0; k--) bytes[rng.NextInt(bytes.Length)] = (byte)rng.NextInt(256);
                return (bytes, kind, false);
            }
            case "truncated":
            {
                var bytes = m.ToByteArray();
                return (bytes[..rng.NextInt(bytes.Length)], kind, false);
            }
            case "garbage inserted":
            {
                var bytes = m.ToByteArray().ToList();
                int at = rng.NextInt(bytes.Count);
                bytes.InsertRange(at, Enumerable.Range(0, rng.NextInt(1, 17)).Select(_ => (byte)rng.NextInt(256)));
                return ([.. bytes], kind, false);
            }
            case "initializer dims":
            {
                var t = Pick(g.Initializer, rng);
                if (t.Dims.Count == 0 || rng.Chance(0.3)) t.Dims.Add(rng.NextInt(2, 5));
                else t.Dims[rng.NextInt(t.Dims.Count)] += rng.Chance(0.5) ? 1 : -1;
                // A dim taken to zero empties the tensor while data remains: still a size mismatch.
                break;
            }
            case "initializer data cut":
            {
                var t = Pick(g.Initializer, rng);
                if (t.RawData.Length > 0) t.RawData = ByteString.CopyFrom(t.RawData.Span[..^rng.NextInt(1, Math.Min(t.RawData.Length, 8) + 1)]);
                else if (t.FloatData.Count > 0) t.FloatData.RemoveAt(t.FloatData.Count - 1);
                else if (t.Int64Data.Count > 0) t.Int64Data.RemoveAt(t.Int64Data.Count - 1);
                else t.FloatData.Add(1f);
                break;
            }
            case "missing input":
            {
                var n = Pick(g.Node, rng);
                n.Input[rng.NextInt(n.Input.Count)] = $"nowhere_{rng.NextInt(1000)}";
                break;
            }
            case "cycle":
            {
                // Every node feeds the last one, so reading its output closes a loop (a self-loop for the last node itself).
                int i = rng.NextInt(g.Node.Count);
                g.Node[i].Input[0] = g.Node[^1].Output[0];
                break;
            }
            case "opset":
                m.OpsetImport[0].Version = rng.Chance(0.5) ? rng.NextInt(1, 8) : rng.NextInt(18, 40);
                break;
            case "unknown op":
                Pick(g.Node, rng).OpType = new[] { "Tanh", "Erf", "Frobnicate", "Loop", "conv", "" }[rng.NextInt(6)];
                break;
            case "attribute type":
            case "attribute value":
            case "attribute dropped":
            {
                mustRefuse = false;
                var withAttributes = g.Node.Where(n => n.Attribute.Count > 0).ToList();
                if (withAttributes.Count == 0) break;
                var n = withAttributes[rng.NextInt(withAttributes.Count)];
                var a = n.Attribute[rng.NextInt(n.Attribute.Count)];
                if (kind == "attribute dropped") n.Attribute.Remove(a);
                else if (kind == "attribute type") a.Type = (AttributeProto.Types.AttributeType)rng.NextInt(9);
                else
                {
                    a.I = rng.Chance(0.5) ? rng.NextInt(-3, 8) : long.MinValue + rng.NextInt(3);
                    for (int k = 0; k < a.Ints.Count; k++) a.Ints[k] = rng.NextInt(-3, 8);
                    a.F = rng.Chance(0.5) ? float.NaN : -rng.NextSingle();
                }
                break;
            }
            case "initializer dropped":
                g.Initializer.Remove(Pick(g.Initializer, rng));
                break;
            case "data type":
                Pick(g.Initializer, rng).DataType = new[] { 0, 2, 10, 11, 16, 99 }[rng.NextInt(6)];
                break;
            default:
            {
                // A second producer: one node writes a value another node already writes.
                int i = rng.NextInt(g.Node.Count), j = rng.NextInt(g.Node.Count);
                if (i == j) j = (i + 1) % g.Node.Count;
                g.Node[i].Output[0] = g.Node[j].Output[0];
                break;
            }
        }
        return (m.ToByteArray(), kind, mustRefuse);
    }

    private static T Pick<T>(IList<T> items, Rng rng) => items[rng.NextInt(items.Count)];
}
