namespace ContextNets;

/// <summary>
/// The processes that train one model together on shards of each batch: an op that needs statistics of the whole
/// batch (synchronized BatchNorm) sums its partial ones over them. Every replica must call <see cref="SumInPlace"/>
/// the same number of times, in the same order, with the same lengths.
/// </summary>
public interface IReplicaSum
{
    /// <summary>Replaces each value by its sum over all replicas; every replica gets the same sums.</summary>
    void SumInPlace(Span<double> values);
}
