using ContextNets.Attention;
using ContextNets.Models.Video;
using ContextNets.NN;

namespace ContextNets.Models;

/// <summary>
/// Counts parameters and operations (<see cref="OpCount"/>) per module by walking the network with shapes only:
/// nothing runs. Convolutions, norms, pools and linear layers (2-D and 3-D) are counted where they are; the residual blocks as
/// their forward composes them (branch, shortcut, sum, the module after the block); the attention blocks by their own
/// cost formulas (<see cref="IBlockFacets.Cost"/>), for the ops their forward performs.
/// </summary>
public static partial class Profiler
{
    /// <summary>The profile of <paramref name="model"/> on an input of <paramref name="input"/> ([N, C, H, W] for the ResNets, [N, C, T, H, W] for the video networks).</summary>
    public static ModelProfile Of(Module model, Shape input)
    {
        ArgumentNullException.ThrowIfNull(model);
        var walk = new Walk();
        walk.Visit(model, "", input);
        return new ModelProfile(input, walk.Ordered());
    }

    private sealed partial class Walk
    {
        private readonly List<(int order, ModuleProfile p)> _done = [];
        private int _next;

        public IReadOnlyList<ModuleProfile> Ordered() => [.. _done.OrderBy(d => d.order).Select(d => d.p)];

        /// <summary>Visits a module on an input shape: records it and returns its output shape and counts (children included).</summary>
        public (Shape output, OpCount ops) Visit(Module m, string name, Shape x)
        {
            int order = _next++;
            var (y, ops) = Count(m, name, x);
            _done.Add((order, new ModuleProfile(name, m.GetType().Name, x, y, m.ParameterCount, ops, m is IAttentionSource)));
            return (y, ops);
        }

        private (Shape, OpCount) Count(Module m, string name, Shape x) => m switch
        {
            Conv2d c => ConvCost(c, x),
            BatchNorm2d => (x, new OpCount(0, 2L * x.Numel)),
            LayerNorm2d => (x, new OpCount(0, 5L * x.Numel)),
            Linear l => LinearCost(l, x),
            MaxPool2d p => PoolCost(x, p.Kernel, p.Stride, p.Padding, ceil: false),
            AvgPool2d p => PoolCost(x, p.Kernel, p.Stride, p.Padding, p.CeilMode),
            Lambda => (x, default),
            ResidualBlock b => Residual(b, name, x),
            Conv3d c => Conv3dCost(c, x),
            BatchNorm3d => (x, new OpCount(0, 2L * x.Numel)),
            MaxPool3d p => Pool3dCost(x, p.Kernel, p.Stride, p.Padding),
            AvgPool3d p => Pool3dCost(x, p.Kernel, p.Stride, p.Padding),
            GlobalAvgPool3d => (new Shape(x[0], x[1], 1, 1, 1), new OpCount(0, x.Numel)),
            NonLocalVideoNet net => PaperNet(net, name, x),
            VideoBasicBlock or VideoBottleneck => VideoBlock(m, name, x),
            IBlockFacets block => block.Cost(x, new BlockChildren(this, name)),
            _ => InOrder(m, name, x),
        };

        // Children in registration order, each on the previous one's output; a linear layer after a map or a clip takes
        // its global average pool (the ResNets' head), counted on the parent.
        private (Shape, OpCount) InOrder(Module m, string name, Shape x)
        {
            var total = default(OpCount);
            foreach (var (child, module) in m.NamedChildren())
            {
                if (module is Linear && x.Rank >= 4)
                {
                    total += new OpCount(0, x.Numel);
                    x = new Shape(x[0], x[1]);
                }
                (x, var ops) = Visit(module, Join(name, child), x);
                total += ops;
            }
            return (x, total);
        }

        private (Shape, OpCount) Residual(ResidualBlock b, string name, Shape x)
        {
            var total = default(OpCount);
            var y = x;
            foreach (var (child, module) in b.NamedChildren())
            {
                if (ReferenceEquals(module, b.Downsample) || ReferenceEquals(module, b.AfterBlock)) continue;
                (y, var ops) = Visit(module, Join(name, child), y);
                total += ops;
            }
            if (b.Downsample is { } down) total += Visit(down, Join(name, "downsample"), x).ops;
            total += new OpCount(0, y.Numel);
            if (b.AfterBlock is { } after)
            {
                (y, var ops) = Visit(after, Join(name, "non_local_block"), y);
                total += ops;
            }
            return (y, total);
        }

        private static (Shape, OpCount) ConvCost(Conv2d c, Shape x)
        {
            int ho = (x[2] + 2 * c.Padding - c.Dilation * (c.KernelSize - 1) - 1) / c.Stride + 1;
            int wo = (x[3] + 2 * c.Padding - c.Dilation * (c.KernelSize - 1) - 1) / c.Stride + 1;
            var y = new Shape(x[0], c.OutChannels, ho, wo);
            long macs = (long)y.Numel * (c.InChannels / c.Groups) * c.KernelSize * c.KernelSize;
            return (y, new OpCount(macs, c.Bias is null ? 0 : y.Numel));
        }

        private static (Shape, OpCount) LinearCost(Linear l, Shape x)
        {
            long rows = x.Numel / l.InFeatures;
            var y = x.With(x.Rank - 1, l.OutFeatures);
            return (y, new OpCount(rows * l.InFeatures * l.OutFeatures, l.Bias is null ? 0 : y.Numel));
        }

        private static (Shape, OpCount) PoolCost(Shape x, int k, int s, int pad, bool ceil)
        {
            int Out(int size)
            {
                int span = size + 2 * pad - k;
                int o = (ceil ? (span + s - 1) / s : span / s) + 1;
                // PyTorch: with ceil mode the last window must start inside the input or its left padding.
                return ceil && (o - 1) * s >= size + pad ? o - 1 : o;
            }
            var y = new Shape(x[0], x[1], Out(x[2]), Out(x[3]));
            return (y, new OpCount(0, (long)y.Numel * k * k));
        }

        private static string Join(string prefix, string name) => prefix.Length == 0 ? name : prefix + "." + name;

        /// <summary>A block's layers, visited as rows of the profile under the block's name.</summary>
        private sealed class BlockChildren(Walk walk, string block) : IChildCosts
        {
            public (Shape output, OpCount ops) Visit(Module child, string name, Shape input) => walk.Visit(child, Join(block, name), input);
        }
    }
}
