namespace ContextNets.Models.Outputs;

/// <summary>
/// A model that names its own outputs (<see cref="OutputNames"/>): `ctxnet run` writes whatever it gives, so a new
/// kind of model (a detector, a segmenter) brings its output naming with it and no command changes.
/// </summary>
public interface IOutputModel
{
    /// <summary>
    /// The model's outputs for <paramref name="input"/> in inference (no gradient is recorded; a trainable model must
    /// be in eval mode). The caller owns the returned collection, whatever scope is open.
    /// </summary>
    ModelOutputs Run(Tensor input);
}

/// <summary>A model with a folded inference form (BatchNorm folded, post-ops fused) that names the same outputs.</summary>
public interface IPreparable
{
    /// <summary>A new inference snapshot of the model; the caller disposes it.</summary>
    IPreparedModel PrepareForRun();
}

/// <summary>The folded inference form of an <see cref="IPreparable"/> model.</summary>
public interface IPreparedModel : IOutputModel, IDisposable;
