namespace ContextNets.Attention;

/// <summary>
/// When the softmax of a non-local block needs float64. With R the range of one row's scaled logits, the softmax
/// weights span a factor e^R: for R in the tens the rows are nearly one-hot, the logits are large, and their float32
/// round-off (a few ulps of |theta_i| |phi_j|) moves the softmax, its backward a (gf - sum a gf), which then cancels,
/// and every gradient behind it by more than rtol 1e-4 of the float64 result. Such a block runs in float64
/// (<see cref="NonLocalExact"/>), which treats the float32 input and weights as exact.
///
/// The limit is measured, not derived (docs/models.md, "Exactness"): on float64 PyTorch vectors, blocks whose
/// largest row range is up to 45.6 meet the tolerance in float32, and from 58.5 on they miss it (1.3x at 58.5, 30x
/// at 298). The zoo's blocks at init sit far below: about 10 for nlresnet50's stage-4 block on unit-variance input,
/// 0.05 for nl_resnet20's. The float64 path costs 10 to 40 times the float32 one, so it is no default.
/// </summary>
internal static class NonLocalPrecision
{
    /// <summary>The largest row range of scaled logits computed in float32.</summary>
    public const float Float32Limit = 48;
}
