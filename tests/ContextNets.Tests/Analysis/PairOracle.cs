namespace ContextNets.Tests.Analysis;

/// <summary>The pair means by their definitions: every pair i &lt; j, in double, written for obviousness.</summary>
internal static class PairOracle
{
    public static double Cosine(float[] rows, int count, int dim)
    {
        double total = 0;
        for (int i = 0; i < count; i++)
            for (int j = i + 1; j < count; j++)
            {
                double dot = 0, ni = 0, nj = 0;
                for (int k = 0; k < dim; k++)
                {
                    double a = rows[i * dim + k], b = rows[j * dim + k];
                    dot += a * b;
                    ni += a * a;
                    nj += b * b;
                }
                double cos = ni == 0 || nj == 0 ? 0 : dot / Math.Sqrt(ni) / Math.Sqrt(nj);
                total += (1 - cos) / 2;
            }
        return total / (count * (count - 1) / 2.0);
    }

    /// <summary>(KL(p || m) + KL(q || m)) / 2 with m the mean of the normalized maps, 0 log 0 = 0.</summary>
    public static double JensenShannon(float[] maps, int count, int dim)
    {
        double total = 0;
        for (int i = 0; i < count; i++)
            for (int j = i + 1; j < count; j++)
            {
                var p = Normalized(maps, i, dim);
                var q = Normalized(maps, j, dim);
                double kp = 0, kq = 0;
                for (int k = 0; k < dim; k++)
                {
                    double m = (p[k] + q[k]) / 2;
                    if (p[k] > 0) kp += p[k] * Math.Log(p[k] / m);
                    if (q[k] > 0) kq += q[k] * Math.Log(q[k] / m);
                }
                total += (kp + kq) / 2;
            }
        return total / (count * (count - 1) / 2.0);
    }

    private static double[] Normalized(float[] maps, int row, int dim)
    {
        var r = new double[dim];
        double sum = 0;
        for (int k = 0; k < dim; k++) sum += r[k] = maps[row * dim + k];
        for (int k = 0; k < dim; k++) r[k] /= sum;
        return r;
    }

    /// <summary>Rows of softmax(scale * z) for standard normal z: peaked for a large scale, near uniform for a small one.</summary>
    public static float[] SoftmaxRows(int count, int dim, double scale, int seed)
    {
        var rng = new Random(seed);
        var maps = new float[count * dim];
        for (int i = 0; i < count; i++)
        {
            var z = new double[dim];
            for (int k = 0; k < dim; k++) z[k] = scale * Normal(rng);
            double max = z.Max(), sum = z.Sum(v => Math.Exp(v - max));
            for (int k = 0; k < dim; k++) maps[i * dim + k] = (float)(Math.Exp(z[k] - max) / sum);
        }
        return maps;
    }

    public static float[] NormalRows(int count, int dim, int seed)
    {
        var rng = new Random(seed);
        return [.. Enumerable.Range(0, count * dim).Select(_ => (float)Normal(rng))];
    }

    private static double Normal(Random rng) => Math.Sqrt(-2 * Math.Log(1 - rng.NextDouble())) * Math.Cos(2 * Math.PI * rng.NextDouble());
}
