namespace ContextNets.Attention;

/// <summary>How a GC block pools the context: softmax attention over positions (the paper) or their mean (SE-like).</summary>
public enum ContextPooling
{
    Attention,
    Average,
}

/// <summary>How a GC block fuses the transformed context into x. With both, scale comes first: z = x * sigmoid(T_mul) + T_add.</summary>
[Flags]
public enum ContextFusion
{
    Add = 1,
    Scale = 2,
    Both = Add | Scale,
}
