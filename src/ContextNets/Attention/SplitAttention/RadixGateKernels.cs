using System.Runtime.Intrinsics;
using ContextNets.Backend.Managed;

namespace ContextNets.Attention;

/// <summary>
/// The split-attention gate MLP in float64: from the pooled map gap [N, C] through
/// fc1 (1x1, groups K), batch norm, ReLU and fc2 (1x1, groups K, R*C outputs) to the
/// gate [N, R, C], a softmax over the R splits (a sigmoid when R = 1).
/// It runs on N x C values, so float64 costs nothing, and it is needed: the batch norm
/// sees only N values per channel, and its backward cancels almost exactly when their
/// spread is small beside eps, which float32 resolves to about 1e-5 absolute.
/// fc2's outputs run cardinality-major (group k, split r, channel j); the gate radix-major.
/// </summary>
internal static class RadixGateKernels
{
    /// <summary>Sizes: N samples, C channels, A inner channels, R splits, K groups.</summary>
    public readonly record struct Geometry(int N, int C, int A, int R, int K)
    {
        public int Cg => C / K;
        public int Ag => A / K;
        public int RC => R * C;
    }

    /// <summary>What the backward needs from the forward.</summary>
    public sealed class Saved
    {
        public required double[] Gap { get; init; }
        public required double[] Xhat { get; init; }
        public required double[] Hidden { get; init; }
        public required double[] InvStd { get; init; }
        public required double[] Gate { get; init; }
        public required double[] BatchMean { get; init; }
        public required double[] BatchVar { get; init; }
    }

    public sealed record Weights(double[] W1, double[]? B1, double[] Gamma, double[] Beta, double[] W2, double[]? B2);

    public sealed record Grads(double[] Gap, double[] W1, double[] B1, double[] Gamma, double[] Beta, double[] W2, double[] B2);

    /// <summary>
    /// The gate [N, R, C] row-major. Training normalizes with the batch's mean and biased variance
    /// (returned in <see cref="Saved"/>); evaluation with <paramref name="runningMean"/> and <paramref name="runningVar"/>.
    /// </summary>
    public static double[] Forward(in Geometry g, double[] gap, Weights p, bool training, double[] runningMean, double[] runningVar, double eps, out Saved saved)
    {
        var h1 = new double[g.N * g.A];
        for (int n = 0; n < g.N; n++)
            for (int a = 0; a < g.A; a++)
            {
                int k = a / g.Ag;
                h1[n * g.A + a] = (p.B1?[a] ?? 0) + Dot(p.W1.AsSpan(a * g.Cg, g.Cg), gap.AsSpan(n * g.C + k * g.Cg, g.Cg));
            }

        var mean = new double[g.A];
        var variance = new double[g.A];
        for (int a = 0; a < g.A; a++)
        {
            double m = 0, v = 0;
            for (int n = 0; n < g.N; n++) m += h1[n * g.A + a];
            m /= g.N;
            for (int n = 0; n < g.N; n++) v += (h1[n * g.A + a] - m) * (h1[n * g.A + a] - m);
            mean[a] = m;
            variance[a] = v / g.N;
        }
        var (useMean, useVar) = training ? (mean, variance) : (runningMean, runningVar);
        var invStd = new double[g.A];
        for (int a = 0; a < g.A; a++) invStd[a] = 1 / Math.Sqrt(useVar[a] + eps);
        var xhat = new double[g.N * g.A];
        var hidden = new double[g.N * g.A];
        for (int n = 0; n < g.N; n++)
            for (int a = 0; a < g.A; a++)
            {
                int i = n * g.A + a;
                xhat[i] = (h1[i] - useMean[a]) * invStd[a];
                hidden[i] = Math.Max(p.Gamma[a] * xhat[i] + p.Beta[a], 0);
            }

        var gate = new double[g.N * g.RC];
        var logits = new double[g.RC];
        for (int n = 0; n < g.N; n++)
        {
            for (int o = 0; o < g.RC; o++)
            {
                int k = o / (g.RC / g.K);
                logits[o] = (p.B2?[o] ?? 0) + Dot(p.W2.AsSpan(o * g.Ag, g.Ag), hidden.AsSpan(n * g.A + k * g.Ag, g.Ag));
            }
            for (int k = 0; k < g.K; k++)
                for (int j = 0; j < g.Cg; j++)
                {
                    int c = k * g.Cg + j;
                    if (g.R == 1)
                    {
                        gate[n * g.RC + c] = 1 / (1 + Math.Exp(-logits[c]));
                        continue;
                    }
                    double max = double.NegativeInfinity, sum = 0;
                    for (int r = 0; r < g.R; r++) max = Math.Max(max, logits[Logit(g, k, r, j)]);
                    for (int r = 0; r < g.R; r++) sum += Math.Exp(logits[Logit(g, k, r, j)] - max);
                    for (int r = 0; r < g.R; r++) gate[n * g.RC + r * g.C + c] = Math.Exp(logits[Logit(g, k, r, j)] - max) / sum;
                }
        }
        saved = new Saved { Gap = gap, Xhat = xhat, Hidden = hidden, InvStd = invStd, Gate = gate, BatchMean = mean, BatchVar = variance };
        return gate;
    }

    /// <summary>Gradients of every input from the gate's gradient ga [N, R, C].</summary>
    public static Grads Backward(in Geometry g, Saved s, Weights p, bool training, double[] ga)
    {
        var dl = new double[g.N * g.RC];
        for (int n = 0; n < g.N; n++)
            for (int k = 0; k < g.K; k++)
                for (int j = 0; j < g.Cg; j++)
                {
                    int c = k * g.Cg + j;
                    if (g.R == 1)
                    {
                        double y = s.Gate[n * g.C + c];
                        dl[n * g.C + c] = ga[n * g.C + c] * y * (1 - y);
                        continue;
                    }
                    double dot = 0;
                    for (int r = 0; r < g.R; r++) dot += s.Gate[n * g.RC + r * g.C + c] * ga[n * g.RC + r * g.C + c];
                    for (int r = 0; r < g.R; r++)
                    {
                        int at = n * g.RC + r * g.C + c;
                        dl[n * g.RC + Logit(g, k, r, j)] = s.Gate[at] * (ga[at] - dot);
                    }
                }

        var dw2 = new double[g.RC * g.Ag];
        var db2 = new double[g.RC];
        var dHidden = new double[g.N * g.A];
        for (int o = 0; o < g.RC; o++)
        {
            int k = o / (g.RC / g.K);
            for (int n = 0; n < g.N; n++)
            {
                double d = dl[n * g.RC + o];
                db2[o] += d;
                Axpy(d, s.Hidden.AsSpan(n * g.A + k * g.Ag, g.Ag), dw2.AsSpan(o * g.Ag, g.Ag));
                Axpy(d, p.W2.AsSpan(o * g.Ag, g.Ag), dHidden.AsSpan(n * g.A + k * g.Ag, g.Ag));
            }
        }

        var dGamma = new double[g.A];
        var dBeta = new double[g.A];
        var dPre = new double[g.N * g.A];
        for (int i = 0; i < dPre.Length; i++) dPre[i] = s.Hidden[i] > 0 ? dHidden[i] : 0;
        for (int n = 0; n < g.N; n++)
            for (int a = 0; a < g.A; a++)
            {
                dBeta[a] += dPre[n * g.A + a];
                dGamma[a] += dPre[n * g.A + a] * s.Xhat[n * g.A + a];
            }
        var dh1 = new double[g.N * g.A];
        for (int n = 0; n < g.N; n++)
            for (int a = 0; a < g.A; a++)
            {
                int i = n * g.A + a;
                double scale = p.Gamma[a] * s.InvStd[a];
                // With batch statistics the mean and variance move with every sample too.
                dh1[i] = training ? scale * (dPre[i] - dBeta[a] / g.N - s.Xhat[i] * dGamma[a] / g.N) : scale * dPre[i];
            }

        var dw1 = new double[g.A * g.Cg];
        var db1 = new double[g.A];
        var dGap = new double[g.N * g.C];
        for (int a = 0; a < g.A; a++)
        {
            int k = a / g.Ag;
            for (int n = 0; n < g.N; n++)
            {
                double d = dh1[n * g.A + a];
                db1[a] += d;
                Axpy(d, s.Gap.AsSpan(n * g.C + k * g.Cg, g.Cg), dw1.AsSpan(a * g.Cg, g.Cg));
                Axpy(d, p.W1.AsSpan(a * g.Cg, g.Cg), dGap.AsSpan(n * g.C + k * g.Cg, g.Cg));
            }
        }
        return new Grads(dGap, dw1, db1, dGamma, dBeta, dw2, db2);
    }

    // Short rows (a group's channels): written out on Vector512, which beats a library call per row.
    private static double Dot(ReadOnlySpan<double> x, ReadOnlySpan<double> y)
    {
        var acc = Vector512<double>.Zero;
        int i = 0;
        for (; i <= x.Length - Vector512<double>.Count; i += Vector512<double>.Count)
            acc = Vector512.FusedMultiplyAdd(Vector512.Create(x.Slice(i, Vector512<double>.Count)), Vector512.Create(y.Slice(i, Vector512<double>.Count)), acc);
        double s = Vector512.Sum(acc);
        for (; i < x.Length; i++) s += x[i] * y[i];
        return s;
    }

    /// <summary>y += alpha * x.</summary>
    private static void Axpy(double alpha, ReadOnlySpan<double> x, Span<double> y)
    {
        var a = Vector512.Create(alpha);
        int i = 0;
        for (; i <= x.Length - Vector512<double>.Count; i += Vector512<double>.Count)
            Vector512.FusedMultiplyAdd(a, Vector512.Create(x.Slice(i, Vector512<double>.Count)), Vector512.Create(y.Slice(i, Vector512<double>.Count))).CopyTo(y.Slice(i));
        for (; i < x.Length; i++) y[i] += alpha * x[i];
    }

    /// <summary>fc2's output channel of group k, split r, channel j of the group.</summary>
    private static int Logit(in Geometry g, int k, int r, int j) => (k * g.R + r) * g.Cg + j;
}
