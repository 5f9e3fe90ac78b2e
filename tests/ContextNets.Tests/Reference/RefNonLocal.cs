namespace ContextNets.Tests.Reference;

/// <summary>How a reference non-local block is built: the blocks.py arguments (mode by its blocks.py name), the norm, and the norm's mode.</summary>
internal sealed record RefNonLocalConfig(string Mode, bool SubSample, bool UseScale = true, bool Norm = false, bool Training = true, double Eps = 1e-5);

/// <summary>
/// The non-local block from its definition, z = x + W_z y with
/// y_i = sum_j f(x_i, x_j) g(x_j), in float64 loops over positions, forward
/// and backward, for [N, C, L], [N, C, H, W] and [N, C, T, H, W] inputs.
/// Parameters go by their state-dict names (1x1 conv weights [out, in, 1, 1]).
/// Sub-sampling max-pools phi and g over 2 along L, 2x2 over H, W, and
/// (1, 2, 2) over T, H, W; an odd trailing row or column is dropped.
/// </summary>
internal static class RefNonLocal
{
    public static (RefTensor z, RefTensor attention) Forward(RefTensor x, IReadOnlyDictionary<string, RefTensor> p, RefNonLocalConfig cfg)
    {
        var pass = new Pass(x, p, cfg);
        var z = new RefTensor(x.Shape);
        for (int n = 0; n < pass.N; n++)
        for (int c = 0; c < pass.C; c++)
        for (int i = 0; i < pass.P; i++)
            z.Data[(n * pass.C + c) * pass.P + i] = x.Data[(n * pass.C + c) * pass.P + i] + pass.Out[n, c, i, 0];
        return (z, new RefTensor([pass.N, pass.P, pass.Q], pass.A));
    }

    /// <summary>The gradients of sum(z * gz): "x" and one per parameter name.</summary>
    public static Dictionary<string, RefTensor> Backward(RefTensor x, IReadOnlyDictionary<string, RefTensor> p, RefNonLocalConfig cfg, RefTensor gz)
    {
        var s = new Pass(x, p, cfg);
        int N = s.N, C = s.C, P = s.P, Q = s.Q, I = s.I, K = s.K;
        var grads = new Dictionary<string, RefTensor>();

        // z = x + norm(conv_out(y)).
        var gOut = new RefTensor([N, C, P, 1], (double[])gz.Data.Clone());
        var gO = gOut;
        if (cfg.Norm)
        {
            var (gx, gw, gb) = RefBatchNorm.Backward(s.O, p["norm.weight"], p["norm.running_mean"], p["norm.running_var"], cfg.Training, cfg.Eps, gOut);
            gO = gx;
            grads["norm.weight"] = gw;
            grads["norm.bias"] = gb;
        }
        var wo = p["conv_out.weight"];
        var gWo = new RefTensor(wo.Shape);
        var gbo = new RefTensor([C]);
        var gY = new double[N * P * I];
        for (int n = 0; n < N; n++)
        for (int c = 0; c < C; c++)
        for (int i = 0; i < P; i++)
        {
            double g = gO[n, c, i, 0];
            gbo.Data[c] += g;
            for (int k = 0; k < I; k++)
            {
                gWo.Data[c * I + k] += g * s.Y[(n * P + i) * I + k];
                gY[(n * P + i) * I + k] += g * wo.Data[c * I + k];
            }
        }
        grads["conv_out.weight"] = gWo;
        if (!cfg.Norm) grads["conv_out.bias"] = gbo;

        // y_i = sum_j A_ij g_j.
        var gA = new double[N * P * Q];
        var gG = new double[N * Q * I];
        for (int n = 0; n < N; n++)
        for (int i = 0; i < P; i++)
        for (int j = 0; j < Q; j++)
        for (int k = 0; k < I; k++)
        {
            gA[(n * P + i) * Q + j] += gY[(n * P + i) * I + k] * s.G[(n * Q + j) * I + k];
            gG[(n * Q + j) * I + k] += s.A[(n * P + i) * Q + j] * gY[(n * P + i) * I + k];
        }

        // The pairwise function, back to theta and phi.
        var gTh = new double[N * P * K];
        var gPh = new double[N * Q * K];
        if (cfg.Mode == "concatenation")
        {
            var wc = p["concat_project.weight"];
            var gwc = new RefTensor(wc.Shape);
            for (int n = 0; n < N; n++)
            for (int i = 0; i < P; i++)
            for (int j = 0; j < Q; j++)
            {
                double gs = s.S[(n * P + i) * Q + j] > 0 ? gA[(n * P + i) * Q + j] / Q : 0;
                for (int k = 0; k < K; k++)
                {
                    gTh[(n * P + i) * K + k] += gs * wc.Data[k];
                    gPh[(n * Q + j) * K + k] += gs * wc.Data[K + k];
                    gwc.Data[k] += gs * s.Th[(n * P + i) * K + k];
                    gwc.Data[K + k] += gs * s.Ph[(n * Q + j) * K + k];
                }
            }
            grads["concat_project.weight"] = gwc;
        }
        else
        {
            var gL = new double[N * P * Q];
            for (int n = 0; n < N; n++)
            for (int i = 0; i < P; i++)
            {
                if (cfg.Mode == "dot_product")
                {
                    for (int j = 0; j < Q; j++) gL[(n * P + i) * Q + j] = gA[(n * P + i) * Q + j] / Q;
                    continue;
                }
                double dot = 0;
                for (int j = 0; j < Q; j++) dot += gA[(n * P + i) * Q + j] * s.A[(n * P + i) * Q + j];
                for (int j = 0; j < Q; j++) gL[(n * P + i) * Q + j] = s.A[(n * P + i) * Q + j] * (gA[(n * P + i) * Q + j] - dot) * s.Scale;
            }
            for (int n = 0; n < N; n++)
            for (int i = 0; i < P; i++)
            for (int j = 0; j < Q; j++)
            for (int k = 0; k < K; k++)
            {
                gTh[(n * P + i) * K + k] += gL[(n * P + i) * Q + j] * s.Ph[(n * Q + j) * K + k];
                gPh[(n * Q + j) * K + k] += gL[(n * P + i) * Q + j] * s.Th[(n * P + i) * K + k];
            }
        }

        // Max pooling sends each gradient to the position its maximum came from.
        var gPhFull = s.Unpool(gPh, s.PhArg, K);
        var gGFull = s.Unpool(gG, s.GArg, I);
        var gX = new double[N * P * C];
        if (cfg.Mode == "gaussian")
        {
            for (int e = 0; e < gX.Length; e++) gX[e] += gTh[e] + gPhFull[e];
        }
        else
        {
            Project(s, p, "theta", gTh, grads, gX);
            Project(s, p, "phi", gPhFull, grads, gX);
        }
        Project(s, p, "g", gGFull, grads, gX);

        var gxOut = new RefTensor(x.Shape, (double[])gz.Data.Clone());
        for (int n = 0; n < N; n++)
        for (int c = 0; c < C; c++)
        for (int i = 0; i < P; i++)
            gxOut.Data[(n * C + c) * P + i] += gX[(n * P + i) * C + c];
        grads["x"] = gxOut;
        return grads;
    }

    // The backward of out[n, i, k] = sum_c W[k, c] x[n, i, c] + b[k].
    private static void Project(Pass s, IReadOnlyDictionary<string, RefTensor> p, string name, double[] gOut, Dictionary<string, RefTensor> grads, double[] gX)
    {
        var w = p[name + ".weight"];
        int outC = w.Shape[0];
        var gw = new RefTensor(w.Shape);
        var gb = new RefTensor([outC]);
        for (int r = 0; r < s.N * s.P; r++)
        for (int k = 0; k < outC; k++)
        {
            double g = gOut[r * outC + k];
            gb.Data[k] += g;
            for (int c = 0; c < s.C; c++)
            {
                gw.Data[k * s.C + c] += g * s.X[r * s.C + c];
                gX[r * s.C + c] += g * w.Data[k * s.C + c];
            }
        }
        grads[name + ".weight"] = gw;
        grads[name + ".bias"] = gb;
    }

    /// <summary>Every intermediate of one forward, positions-major ([n, position, channel]).</summary>
    private sealed class Pass
    {
        public readonly int N, C, P, Q, I, K;
        public readonly double Scale;
        public readonly double[] X, Th, Ph, G, S, A, Y;
        public readonly int[] PhArg, GArg;
        public readonly RefTensor O, Out;
        private readonly int _t, _h, _w, _kh, _kw;

        public Pass(RefTensor x, IReadOnlyDictionary<string, RefTensor> p, RefNonLocalConfig cfg)
        {
            var sh = x.Shape;
            (_t, _h, _w, _kh, _kw) = sh.Length switch
            {
                3 => (1, sh[2], 1, 2, 1),
                4 => (1, sh[2], sh[3], 2, 2),
                _ => (sh[2], sh[3], sh[4], 2, 2),
            };
            if (!cfg.SubSample) (_kh, _kw) = (1, 1);
            N = sh[0];
            C = sh[1];
            P = _t * _h * _w;
            Q = _t * (_h / _kh) * (_w / _kw);
            I = p["g.weight"].Shape[0];
            K = cfg.Mode == "gaussian" ? C : I;
            Scale = cfg.Mode == "embedded_gaussian" && cfg.UseScale ? 1 / Math.Sqrt(I) : 1;

            X = new double[N * P * C];
            for (int n = 0; n < N; n++)
            for (int c = 0; c < C; c++)
            for (int i = 0; i < P; i++)
                X[(n * P + i) * C + c] = x.Data[(n * C + c) * P + i];

            Th = cfg.Mode == "gaussian" ? X : Embed(p["theta.weight"], p["theta.bias"]);
            (Ph, PhArg) = Pool(cfg.Mode == "gaussian" ? X : Embed(p["phi.weight"], p["phi.bias"]), K);
            (G, GArg) = Pool(Embed(p["g.weight"], p["g.bias"]), I);

            S = new double[N * P * Q];
            A = new double[N * P * Q];
            for (int n = 0; n < N; n++)
            for (int i = 0; i < P; i++)
            {
                for (int j = 0; j < Q; j++)
                {
                    double v = 0;
                    for (int k = 0; k < K; k++)
                        v += cfg.Mode == "concatenation"
                            ? p["concat_project.weight"].Data[k] * Th[(n * P + i) * K + k] + p["concat_project.weight"].Data[K + k] * Ph[(n * Q + j) * K + k]
                            : Th[(n * P + i) * K + k] * Ph[(n * Q + j) * K + k];
                    S[(n * P + i) * Q + j] = v * Scale;
                }
                var row = new ArraySegment<double>(S, (n * P + i) * Q, Q);
                double max = row.Max(), sum = row.Sum(v => Math.Exp(v - max));
                for (int j = 0; j < Q; j++)
                    A[(n * P + i) * Q + j] = cfg.Mode switch
                    {
                        "gaussian" or "embedded_gaussian" => Math.Exp(row[j] - max) / sum,
                        "dot_product" => row[j] / Q,
                        _ => Math.Max(row[j], 0) / Q,
                    };
            }

            Y = new double[N * P * I];
            for (int n = 0; n < N; n++)
            for (int i = 0; i < P; i++)
            for (int j = 0; j < Q; j++)
            for (int k = 0; k < I; k++)
                Y[(n * P + i) * I + k] += A[(n * P + i) * Q + j] * G[(n * Q + j) * I + k];

            var wo = p["conv_out.weight"];
            O = new RefTensor([N, C, P, 1]);
            for (int n = 0; n < N; n++)
            for (int c = 0; c < C; c++)
            for (int i = 0; i < P; i++)
            {
                double v = cfg.Norm ? 0 : p["conv_out.bias"].Data[c];
                for (int k = 0; k < I; k++) v += wo.Data[c * I + k] * Y[(n * P + i) * I + k];
                O[n, c, i, 0] = v;
            }
            Out = cfg.Norm ? RefBatchNorm.Forward(O, p["norm.weight"], p["norm.bias"], p["norm.running_mean"], p["norm.running_var"], cfg.Training, cfg.Eps) : O;
        }

        // out[n, i, k] = sum_c W[k, c] x[n, i, c] + b[k]
        private double[] Embed(RefTensor w, RefTensor b)
        {
            int outC = w.Shape[0];
            var y = new double[N * P * outC];
            for (int r = 0; r < N * P; r++)
            for (int k = 0; k < outC; k++)
            {
                double v = b.Data[k];
                for (int c = 0; c < C; c++) v += w.Data[k * C + c] * X[r * C + c];
                y[r * outC + k] = v;
            }
            return y;
        }

        /// <summary>The max of each (kh, kw) window in each frame, and the position it came from (the first of equal maxima).</summary>
        private (double[] pooled, int[] from) Pool(double[] v, int width)
        {
            var pooled = new double[N * Q * width];
            var from = new int[N * Q * width];
            int hq = _h / _kh, wq = _w / _kw;
            for (int n = 0; n < N; n++)
            for (int t = 0; t < _t; t++)
            for (int a = 0; a < hq; a++)
            for (int b = 0; b < wq; b++)
            for (int k = 0; k < width; k++)
            {
                int q = (t * hq + a) * wq + b;
                double best = double.NegativeInfinity;
                int at = -1;
                for (int u = 0; u < _kh; u++)
                for (int w = 0; w < _kw; w++)
                {
                    int i = (t * _h + a * _kh + u) * _w + b * _kw + w;
                    if (v[(n * P + i) * width + k] > best) { best = v[(n * P + i) * width + k]; at = i; }
                }
                pooled[(n * Q + q) * width + k] = best;
                from[(n * Q + q) * width + k] = at;
            }
            return (pooled, from);
        }

        public double[] Unpool(double[] g, int[] from, int width)
        {
            var full = new double[N * P * width];
            for (int n = 0; n < N; n++)
            for (int q = 0; q < Q; q++)
            for (int k = 0; k < width; k++)
                full[(n * P + from[(n * Q + q) * width + k]) * width + k] += g[(n * Q + q) * width + k];
            return full;
        }
    }
}
