using System.Text.Json.Nodes;

namespace ContextNets.Training.Distributed;

/// <summary>Names the first value in which two JSON documents differ, for a message a user can act on.</summary>
internal static class ConfigDifference
{
    /// <summary>What rank <paramref name="rank"/>'s document has that rank 0's (<paramref name="expected"/>) has not.</summary>
    public static string Describe(string expected, string actual, int rank)
    {
        try
        {
            return First(JsonNode.Parse(expected), JsonNode.Parse(actual), "", rank) ?? $"rank {rank} has the same values in another form";
        }
        catch (System.Text.Json.JsonException)
        {
            return $"rank {rank}'s or rank 0's is not JSON";
        }
    }

    private static string? First(JsonNode? a, JsonNode? b, string path, int rank)
    {
        if (a is JsonObject oa && b is JsonObject ob)
        {
            foreach (var key in oa.Select(kv => kv.Key).Union(ob.Select(kv => kv.Key)))
                if (First(oa[key], ob[key], path.Length == 0 ? key : $"{path}.{key}", rank) is { } d) return d;
            return null;
        }
        string sa = a?.ToJsonString() ?? "(none)", sb = b?.ToJsonString() ?? "(none)";
        return sa == sb ? null : $"{(path.Length == 0 ? "the document" : path)} is {sb} on rank {rank} and {sa} on rank 0";
    }
}
