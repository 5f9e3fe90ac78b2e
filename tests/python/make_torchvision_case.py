#!/usr/bin/env python3
"""Ground truth for ContextNets' logits parity tests.

Builds a network with torchvision (random weights), makes its BatchNorm layers non-trivial in eval mode,
and writes two safetensors files into OUT_DIR:

  NAME.safetensors       the state_dict under torchvision/timm keys, as a checkpoint would hold it
                         (including num_batches_tracked, which ContextNets must ignore);
  NAME.case.safetensors  `x`, a random input [batch, 3, size, size], and `logits`, the eval-mode output
                         computed in float64 from the same float32 weights.

Usage: make_torchvision_case.py NAME OUT_DIR [--size 64] [--batch 2] [--seed 0]
NAME is a torchvision model (resnet18, resnet50, resnext50_32x4d, ...) or resnet50d, which is timm's
ResNet-D layout (deep stem, avg-down shortcuts) assembled here from torchvision's parts.
Needs Debian's python3-torch and python3-torchvision; nothing is downloaded.
"""
import argparse
import copy
import json
import os
import struct
import sys

import torch
import torch.nn as nn
import torchvision

SAFETENSORS_DTYPES = {torch.float32: "F32", torch.float64: "F64", torch.int64: "I64"}


def write_safetensors(path, tensors):
    """The safetensors layout: u64 header size, JSON header (sorted keys, padded to 8 bytes), raw data."""
    header, chunks, offset = {}, [], 0
    for name in sorted(tensors):
        t = tensors[name].detach().cpu().contiguous()
        data = t.numpy().tobytes()
        header[name] = {"dtype": SAFETENSORS_DTYPES[t.dtype], "shape": list(t.shape),
                        "data_offsets": [offset, offset + len(data)]}
        chunks.append(data)
        offset += len(data)
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for data in chunks:
            f.write(data)
    os.replace(tmp, path)


def resnet50d():
    """timm's resnet50d layout on torchvision's ResNet: stem 3x3 convs (32, 32, 64) with BN+ReLU between them,
    and shortcuts [AvgPool2d(2, stride, ceil_mode, count_include_pad=False) or nothing at stride 1, 1x1 conv, BN]."""
    model = torchvision.models.resnet50(weights=None)
    model.conv1 = nn.Sequential(
        nn.Conv2d(3, 32, 3, 2, 1, bias=False), nn.BatchNorm2d(32), nn.ReLU(inplace=True),
        nn.Conv2d(32, 32, 3, 1, 1, bias=False), nn.BatchNorm2d(32), nn.ReLU(inplace=True),
        nn.Conv2d(32, 64, 3, 1, 1, bias=False))
    for layer in (model.layer1, model.layer2, model.layer3, model.layer4):
        block = layer[0]
        conv, bn = block.downsample[0], block.downsample[1]
        stride = conv.stride[0]
        pool = nn.AvgPool2d(2, stride, ceil_mode=True, count_include_pad=False) if stride > 1 else nn.Identity()
        block.downsample = nn.Sequential(pool, nn.Conv2d(conv.in_channels, conv.out_channels, 1, bias=False), bn)
    return model


def build(name):
    if name == "resnet50d":
        return resnet50d()
    if not hasattr(torchvision.models, name):
        sys.exit(f"make_torchvision_case: unknown model '{name}'")
    return getattr(torchvision.models, name)(weights=None)


def make_batchnorm_nontrivial(model, size, gen):
    """Random affine parameters, then running stats from real batch statistics (so activations stay in a sane
    range through the depth), then a perturbation so that eval mode does not just undo the batch statistics."""
    bns = [m for m in model.modules() if isinstance(m, nn.BatchNorm2d)]
    with torch.no_grad():
        for bn in bns:
            bn.weight.copy_(torch.empty_like(bn.weight).uniform_(0.5, 1.5, generator=gen))
            bn.bias.copy_(torch.randn(bn.bias.shape, generator=gen) * 0.2)
            bn.reset_running_stats()
            bn.momentum = None  # a cumulative average over the calibration batches
        model.train()
        for _ in range(3):
            model(torch.randn(4, 3, size, size, generator=gen))
        for bn in bns:
            bn.running_mean.add_(torch.randn(bn.running_mean.shape, generator=gen) * 0.1 * bn.running_var.sqrt())
            bn.running_var.mul_(torch.empty_like(bn.running_var).uniform_(0.7, 1.4, generator=gen))
            bn.momentum = 0.1
    model.eval()


def seeded_case(build, description):
    """The command line every case script shares (NAME OUT_DIR [--size] [--batch] [--seed]), the model built by
    build(name) with non-trivial BatchNorm statistics, a seeded input x, and a float64 copy to compute the reference."""
    p = argparse.ArgumentParser(description=description.splitlines()[0])
    p.add_argument("name")
    p.add_argument("out_dir")
    p.add_argument("--size", type=int, default=64)
    p.add_argument("--batch", type=int, default=2)
    p.add_argument("--seed", type=int, default=0)
    a = p.parse_args()

    torch.manual_seed(a.seed)
    gen = torch.Generator().manual_seed(a.seed)
    model = build(a.name)
    make_batchnorm_nontrivial(model, a.size, gen)
    x = torch.randn(a.batch, 3, a.size, a.size, generator=gen)
    os.makedirs(a.out_dir, exist_ok=True)
    return a, model, x, copy.deepcopy(model).double()


def main():
    a, model, x, reference = seeded_case(build, __doc__)
    with torch.no_grad():
        logits = reference(x.double())
    write_safetensors(os.path.join(a.out_dir, a.name + ".safetensors"), model.state_dict())
    write_safetensors(os.path.join(a.out_dir, a.name + ".case.safetensors"), {"x": x, "logits": logits})


if __name__ == "__main__":
    main()
