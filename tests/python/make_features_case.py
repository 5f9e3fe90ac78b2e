#!/usr/bin/env python3
"""Ground truth for ContextNets' multi-scale feature tests (timm's features_only, torchvision's dilation).

NAME is BACKBONE_osS: torchvision's resnet50 (or this folder's resnet50d, timm's ResNet-D layout) built with
output stride S: replace_stride_with_dilation [False, True, True] for 8, [False, False, True] for 16, none for 32.
For resnet50d the dilated stages' avg-down shortcuts get timm's AvgPool2dSame(2, stride 1), written out below from
timm's source (pad_same, then avg_pool2d with ceil_mode and count_include_pad False over the padded map).

Writes into OUT_DIR:
  NAME.safetensors       the body's state_dict without `fc` (a headless backbone, as IntermediateLayerGetter keeps it);
  NAME.case.safetensors  `x` [batch, 3, size, size] and the eval-mode feature maps `act1` (the stem after its ReLU),
                         `layer1`..`layer4`, computed in float64 from the same float32 weights.

Usage: make_features_case.py NAME OUT_DIR [--size 64] [--batch 2] [--seed 0]
"""
import math
import os
import sys

import torch
import torch.nn as nn
import torch.nn.functional as F
import torchvision

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from make_torchvision_case import seeded_case, write_safetensors  # noqa: E402

DILATION = {8: [False, True, True], 16: [False, False, True], 32: [False, False, False]}


class AvgPool2dSame(nn.Module):
    """timm.layers.pool2d_same.AvgPool2dSame(2, stride 1, ceil_mode=True, count_include_pad=False)."""

    def forward(self, x):
        ih, iw = x.shape[-2:]
        pad_h = max((math.ceil(ih / 1) - 1) * 1 + (2 - 1) * 1 + 1 - ih, 0)
        pad_w = max((math.ceil(iw / 1) - 1) * 1 + (2 - 1) * 1 + 1 - iw, 0)
        x = F.pad(x, [pad_w // 2, pad_w - pad_w // 2, pad_h // 2, pad_h - pad_h // 2])
        return F.avg_pool2d(x, 2, 1, 0, ceil_mode=True, count_include_pad=False)


def resnet50d(dilate):
    """timm's resnet50d layout (see make_torchvision_case.resnet50d) on a torchvision ResNet with dilation."""
    model = torchvision.models.resnet50(weights=None, replace_stride_with_dilation=dilate)
    model.conv1 = nn.Sequential(
        nn.Conv2d(3, 32, 3, 2, 1, bias=False), nn.BatchNorm2d(32), nn.ReLU(inplace=True),
        nn.Conv2d(32, 32, 3, 1, 1, bias=False), nn.BatchNorm2d(32), nn.ReLU(inplace=True),
        nn.Conv2d(32, 64, 3, 1, 1, bias=False))
    for layer in (model.layer1, model.layer2, model.layer3, model.layer4):
        block = layer[0]
        conv, bn = block.downsample[0], block.downsample[1]
        stride = conv.stride[0]
        dilated = block.conv2.dilation[0] > 1 or any(b.conv2.dilation[0] > 1 for b in layer)
        if stride > 1:
            pool = nn.AvgPool2d(2, stride, ceil_mode=True, count_include_pad=False)
        elif layer is not model.layer1 and dilated:
            pool = AvgPool2dSame()
        else:
            pool = nn.Identity()
        block.downsample = nn.Sequential(pool, nn.Conv2d(conv.in_channels, conv.out_channels, 1, bias=False), bn)
    return model


def build(name):
    backbone, _, stride = name.rpartition("_os")
    if not stride.isdigit() or int(stride) not in DILATION:
        sys.exit(f"make_features_case: '{name}' is not BACKBONE_os8, _os16 or _os32")
    dilate = DILATION[int(stride)]
    if backbone == "resnet50":
        return torchvision.models.resnet50(weights=None, replace_stride_with_dilation=dilate)
    if backbone == "resnet50d":
        return resnet50d(dilate)
    sys.exit(f"make_features_case: unknown backbone '{backbone}'")


def features(model, x):
    out = {}
    x = model.relu(model.bn1(model.conv1(x)))
    out["act1"] = x
    x = model.maxpool(x)
    for i in range(1, 5):
        x = getattr(model, f"layer{i}")(x)
        out[f"layer{i}"] = x
    return out


def main():
    a, model, x, reference = seeded_case(build, __doc__)
    with torch.no_grad():
        maps = features(reference, x.double())
    state = {k: v for k, v in model.state_dict().items() if not k.startswith("fc.")}
    write_safetensors(os.path.join(a.out_dir, a.name + ".safetensors"), state)
    write_safetensors(os.path.join(a.out_dir, a.name + ".case.safetensors"), {"x": x, **maps})


if __name__ == "__main__":
    main()
