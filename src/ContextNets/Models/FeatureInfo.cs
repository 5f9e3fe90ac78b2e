namespace ContextNets.Models;

/// <summary>
/// One feature map a backbone can give (timm's feature_info entry): its index for out_indices, the module whose
/// output it is (timm's names: `act1` for the stem after its ReLU and before the max pool, `layer1`..`layerN` for the
/// stages), its channels, and its reduction: how many input pixels one of its pixels spans on a side (dilated stages
/// keep the reduction of the stage before them).
/// </summary>
public sealed record FeatureInfo(int Index, string Module, int Channels, int Reduction);
