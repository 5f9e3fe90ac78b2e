#!/usr/bin/env python3
"""Ground truth for ContextNets' per-pixel cross-entropy: torch.nn.functional.cross_entropy on scores [N, K, H, W]
with ignore_index=255, computed in float64 from float32 scores.

Writes OUT_DIR/NAME.case.safetensors: `x` [2, K, size, size + 3] (seeded normal scores, times 3 so that the softmax is
not flat), `labels` [2, size, size + 3] (I64: classes in [0, K) with about a fifth of the pixels set to 255),
`loss` (a scalar, the mean over the counted pixels) and `grad` (of the loss, with respect to x). NAME is `pixel_ce_K`.

Usage: make_pixel_ce_case.py NAME OUT_DIR [--size 6] [--seed 0]
"""
import argparse
import os
import sys

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from make_torchvision_case import write_safetensors  # noqa: E402

IGNORE = 255


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("name")
    p.add_argument("out_dir")
    p.add_argument("--size", type=int, default=6)
    p.add_argument("--seed", type=int, default=0)
    a = p.parse_args()
    if not a.name.startswith("pixel_ce_"):
        sys.exit(f"make_pixel_ce_case: unknown case '{a.name}'")
    k = int(a.name[len("pixel_ce_"):])
    gen = torch.Generator().manual_seed(a.seed)
    shape = (2, a.size, a.size + 3)
    x = torch.randn(shape[0], k, shape[1], shape[2], generator=gen) * 3
    labels = torch.randint(0, k, shape, generator=gen)
    labels[torch.rand(shape, generator=gen) < 0.2] = IGNORE
    xd = x.double().requires_grad_(True)
    loss = F.cross_entropy(xd, labels, ignore_index=IGNORE)
    loss.backward()
    os.makedirs(a.out_dir, exist_ok=True)
    write_safetensors(os.path.join(a.out_dir, a.name + ".case.safetensors"),
                      {"x": x, "labels": labels, "loss": loss.detach(), "grad": xd.grad})


if __name__ == "__main__":
    main()
