using System.Text.Json;
using ContextNets.Data;
using ContextNets.NN;

namespace ContextNets.Training.Distributed;

/// <summary>
/// What a <see cref="Trainer"/> does differently on each of several <see cref="Replicas"/>: every rank holds the whole
/// model and trains on its shard of each global batch; the ranks start from rank 0's parameters, buffers, optimizer
/// state and step, average their gradients after each backward (in overlapped buckets), and add up their epoch's
/// loss and accuracy counts and their shares of the evaluation. The updates are then the same on every rank, so the
/// optimizer's state stays identical without being exchanged again.
/// </summary>
internal sealed class DataParallel : IDisposable
{
    private readonly Replicas _replicas;
    private readonly Module _model;
    private readonly Optimizer _optimizer;
    private readonly GradientBuckets _buckets;
    private readonly DataLoader _testShare;

    public DataParallel(Replicas replicas, Module model, Optimizer optimizer, DataLoader test, long bucketBytes)
    {
        _testShare = test.Share(replicas.Rank, replicas.Count);
        _replicas = replicas;
        _model = model;
        _optimizer = optimizer;
        _buckets = new GradientBuckets(replicas.Communicator, [.. optimizer.Parameters()], bucketBytes);
    }

    public bool IsRoot => _replicas.IsRoot;
    public int Count => _replicas.Count;

    /// <summary>Rank 0's model, optimizer state and position (fresh, or resumed from its checkpoint) on every rank.</summary>
    public unsafe void ShareInitialState(TrainingState state)
    {
        foreach (var (_, t) in _model.NamedParameters().Concat(_model.NamedBuffers()).Concat(_optimizer.StateTensors()))
            Broadcast(t);
        var snapshot = JsonSerializer.Deserialize<OptimizerSnapshot>(_replicas.Broadcast(IsRoot ? JsonSerializer.Serialize(_optimizer.Snapshot()) : null))!;
        _optimizer.ApplyState(snapshot, _optimizer.StateTensors().ToDictionary(kv => kv.key, kv => kv.tensor));
        Span<double> position = [IsRoot ? state.Step : 0, IsRoot ? state.Epoch : 0, IsRoot ? state.StepInEpoch : 0];
        _replicas.SumInPlace(position);
        (state.Step, state.Epoch, state.StepInEpoch) = ((long)position[0], (int)position[1], (long)position[2]);
    }

    /// <summary>After backward: the gradients become their averages over the ranks.</summary>
    public void AverageGradients() => _buckets.Finish();

    /// <summary>
    /// Rank 0's buffers (BatchNorm's running statistics) on every rank before an evaluation, as DDP's buffer broadcast
    /// does: without --sync-bn each rank's statistics follow its own shards, and the checkpoint holds rank 0's.
    /// </summary>
    public void ShareBuffers()
    {
        foreach (var (_, t) in _model.NamedBuffers()) Broadcast(t);
    }

    /// <summary>The sums of every rank's epoch counts.</summary>
    public (double lossSum, long correct, long seen) Sum(double lossSum, long correct, long seen)
    {
        Span<double> sums = [lossSum, correct, seen];
        _replicas.SumInPlace(sums);
        return (sums[0], (long)sums[1], (long)sums[2]);
    }

    /// <summary>The evaluation of the whole test set, each rank evaluating its share of the images.</summary>
    public EvalResult Evaluate(CancellationToken cancel)
    {
        var local = Trainer.Evaluate(_model, _testShare, cancel);
        Span<double> sums = [local.Loss * local.Samples, local.Accuracy * local.Samples, local.Samples];
        _replicas.SumInPlace(sums);
        return new EvalResult(sums[0] / sums[2], Math.Round(sums[1]) / sums[2], (int)sums[2], local.Seconds);
    }

    private unsafe void Broadcast(Tensor t)
    {
        _replicas.Communicator.Broadcast(t.Data, t.Numel);
        t.Touch();
    }

    public void Dispose()
    {
        _buckets.Dispose();
        _testShare.Dispose();
    }
}
