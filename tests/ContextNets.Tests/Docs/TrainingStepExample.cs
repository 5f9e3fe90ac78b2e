using ContextNets.Autograd;
using ContextNets.Models;
using ContextNets.Training;

namespace ContextNets.Tests.Docs;

/// <summary>
/// The README's training-step example, compiled and run here; <see cref="ReadmeExampleTests"/> checks that the README
/// shows these lines word for word, so the example cannot rot.
/// </summary>
internal static class TrainingStepExample
{
    /// <summary>The losses of the steps, and the logits of the prepared model for the batch.</summary>
    public static (List<double> losses, float[] logits) Run()
    {
        // README: training step
        using var model = Zoo.Create("gc_resnet20", numClasses: 10, seed: 1);
        using var optimizer = Sgd.For(model, learningRate: 0.1, momentum: 0.9, weightDecay: 5e-4, nesterov: true);
        using var images = Tensor.Randn([8, 1, 28, 28], seed: 7);       // a batch [N, C, H, W]
        int[] labels = [.. Enumerable.Range(0, 8)];
        var losses = new List<double>();

        model.Train();                                  // BatchNorm normalizes with the batch's statistics
        for (int step = 0; step < 8; step++)
        {
            using var scope = Tensor.Scope();           // frees the step's activations and temporaries at its end
            var loss = F.CrossEntropy(model.Forward(images), labels, labelSmoothing: 0.1f);
            losses.Add(loss.Item());
            loss.Backward();                            // fills each parameter's Grad
            optimizer.Step();
            optimizer.ZeroGrad();
        }

        model.Eval();                                   // running statistics; then fold BN for inference
        using var ready = model.Prepare();
        using var logits = ready.Predict(images);       // the caller owns the result: dispose it
        // README: end
        return (losses, logits.ToArray());
    }
}
