namespace ContextNets.Data.Scenes;

/// <summary>
/// The textured background of a scene, so that items cannot be told from it by brightness alone: a linear gradient
/// between two random colours along a random direction, stripes of a third colour (a sine of random frequency,
/// angle and phase, at a random strength), and per-pixel noise of up to +-12 levels.
/// </summary>
internal static class SceneTexture
{
    public static Image8 Paint(int size, Rng rng)
    {
        var from = Colour(rng, 0, 256);
        var to = Colour(rng, 0, 256);
        var stripe = Colour(rng, 0, 256);
        double gradientAngle = rng.Uniform(0, 2 * Math.PI), stripeAngle = rng.Uniform(0, Math.PI);
        double cycles = rng.Uniform(2, 12), phase = rng.Uniform(0, 2 * Math.PI), strength = rng.Uniform(0.15, 0.5);
        double gx = Math.Cos(gradientAngle), gy = Math.Sin(gradientAngle), sx = Math.Cos(stripeAngle), sy = Math.Sin(stripeAngle);
        var image = new Image8(size, size, 3);
        for (int y = 0; y < size; y++)
            for (int x = 0; x < size; x++)
            {
                double u = (x - size / 2.0) / size, v = (y - size / 2.0) / size;
                double t = Math.Clamp(0.5 + u * gx + v * gy, 0, 1);
                double s = strength * (0.5 + 0.5 * Math.Sin(2 * Math.PI * cycles * (u * sx + v * sy) + phase));
                int noise = rng.NextInt(25) - 12;
                for (int c = 0; c < 3; c++)
                {
                    double value = (1 - s) * (from[c] + t * (to[c] - from[c])) + s * stripe[c] + noise;
                    image[y, x, c] = (byte)Math.Clamp((int)Math.Round(value), 0, 255);
                }
            }
        return image;
    }

    /// <summary>A random RGB colour with every channel in [low, high).</summary>
    public static int[] Colour(Rng rng, int low, int high) => [rng.NextInt(low, high), rng.NextInt(low, high), rng.NextInt(low, high)];
}
