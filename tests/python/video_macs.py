#!/usr/bin/env python3
"""Multiply-adds of a video network counted by PyTorch forward hooks, independently of ContextNets' profiler.

Builds NAME as make_video_case.py does (torchvision's r3d_18, mc3_18, r2plus1d_18; the Non-local paper's networks
written there from the paper) and runs one zero clip [1, 3, FRAMES, SIZE, SIZE] through it with hooks that count,
from the shapes each layer sees:
- Conv3d: output elements x input channels per group x kernel volume; Linear: output elements x input features;
- the NL block's two attention products (theta . phi, then the map times g): 2 x positions x pooled keys x inner;
- the GC block's attention pooling (the weighted sum of the clip): channels x positions.
Prints each network's total as one integer a line. Usage: video_macs.py NAME FRAMES SIZE [NAME FRAMES SIZE ...]
"""
import math
import sys

import torch
import torch.nn as nn

from make_video_case import GlobalContext3d, NonLocal3d, build


def count(model, frames, size):
    total = [0]

    def conv(m, inputs, out):
        total[0] += out.numel() * (m.in_channels // m.groups) * math.prod(m.kernel_size)

    def linear(m, inputs, out):
        total[0] += out.numel() * m.in_features

    def non_local(m, inputs, out):
        n, _, t, h, w = inputs[0].shape
        total[0] += 2 * n * (t * h * w) * (t * (h // 2) * (w // 2)) * m.k

    def global_context(m, inputs, out):
        n, c, t, h, w = inputs[0].shape
        total[0] += n * c * t * h * w

    for m in model.modules():
        if isinstance(m, (nn.Conv3d, nn.Conv2d)):
            m.register_forward_hook(conv)
        elif isinstance(m, nn.Linear):
            m.register_forward_hook(linear)
        elif isinstance(m, NonLocal3d):
            m.register_forward_hook(non_local)
        elif isinstance(m, GlobalContext3d):
            m.register_forward_hook(global_context)
    model.eval()
    with torch.no_grad():
        model(torch.zeros(1, 3, frames, size, size))
    return total[0]


def main():
    args = sys.argv[1:]
    if not args or len(args) % 3 != 0:
        sys.exit(__doc__)
    torch.manual_seed(0)
    for i in range(0, len(args), 3):
        print(count(build(args[i]), int(args[i + 1]), int(args[i + 2])))


if __name__ == "__main__":
    main()
