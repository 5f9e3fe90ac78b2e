using ContextNets.Models.Video;
using ContextNets.NN;

namespace ContextNets.Models;

/// <summary>
/// The profiler's video half: 3-D convs and pools on clips [N, C, T, H, W], the video residual blocks as their
/// forwards compose them, and the Non-local paper's networks, whose pools are steps of their forward (no modules).
/// </summary>
public static partial class Profiler
{
    private sealed partial class Walk
    {
        /// <summary>The paper's C2D / I3D: conv1, bn1, the 1x3x3 max pool, res2, the 2x1x1 temporal pool, res3-res5, the global pool and fc.</summary>
        private (Shape, OpCount) PaperNet(NonLocalVideoNet net, string name, Shape x)
        {
            var total = default(OpCount);
            foreach (var (child, module) in net.NamedChildren())
            {
                if (child == "layer2")
                {
                    (x, var temporal) = Pool3dCost(x, (2, 1, 1), (2, 1, 1), default);
                    total += temporal;
                }
                if (module is Linear)
                {
                    total += new OpCount(0, x.Numel);
                    x = new Shape(x[0], x[1]);
                }
                (x, var ops) = Visit(module, Join(name, child), x);
                total += ops;
                if (child == "bn1")
                {
                    (x, var stem) = Pool3dCost(x, (1, 3, 3), (1, 2, 2), (0, 1, 1));
                    total += stem;
                }
            }
            return (x, total);
        }

        /// <summary>
        /// A video basic block or bottleneck: its branch in registration order (a GC block on the folded clip
        /// [N, C, T*H, W] it runs on), the `downsample` shortcut on the block's input, the sum, then the NL block.
        /// </summary>
        private (Shape, OpCount) VideoBlock(Module block, string name, Shape x)
        {
            var total = default(OpCount);
            var y = x;
            Module? downsample = null, nonLocal = null;
            foreach (var (child, module) in block.NamedChildren())
            {
                if (child == "downsample") downsample = module;
                else if (child == "nl") nonLocal = module;
                else if (child == "gc")
                    total += Visit(module, Join(name, child), new Shape(y[0], y[1], y[2] * y[3], y[4])).ops;
                else
                {
                    (y, var ops) = Visit(module, Join(name, child), y);
                    total += ops;
                }
            }
            if (downsample is not null) total += Visit(downsample, Join(name, "downsample"), x).ops;
            total += new OpCount(0, y.Numel);
            if (nonLocal is not null)
            {
                (y, var ops) = Visit(nonLocal, Join(name, "nl"), y);
                total += ops;
            }
            return (y, total);
        }

        private static (Shape, OpCount) Conv3dCost(Conv3d c, Shape x)
        {
            static int Out(int size, int k, int s, int p, int d) => (size + 2 * p - d * (k - 1) - 1) / s + 1;
            var y = new Shape(x[0], c.OutChannels,
                Out(x[2], c.KernelSize.d, c.Stride.d, c.Padding.d, c.Dilation.d),
                Out(x[3], c.KernelSize.h, c.Stride.h, c.Padding.h, c.Dilation.h),
                Out(x[4], c.KernelSize.w, c.Stride.w, c.Padding.w, c.Dilation.w));
            long macs = (long)y.Numel * (c.InChannels / c.Groups) * c.KernelSize.d * c.KernelSize.h * c.KernelSize.w;
            return (y, new OpCount(macs, c.Bias is null ? 0 : y.Numel));
        }

        /// <summary>A floor-mode 3-D pooling: one op per window element, max or average alike.</summary>
        private static (Shape, OpCount) Pool3dCost(Shape x, (int d, int h, int w) k, (int d, int h, int w) s, (int d, int h, int w) p)
        {
            var y = new Shape(x[0], x[1], (x[2] + 2 * p.d - k.d) / s.d + 1, (x[3] + 2 * p.h - k.h) / s.h + 1, (x[4] + 2 * p.w - k.w) / s.w + 1);
            return (y, new OpCount(0, (long)y.Numel * k.d * k.h * k.w));
        }
    }
}
