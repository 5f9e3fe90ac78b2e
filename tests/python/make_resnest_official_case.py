#!/usr/bin/env python3
"""A network with the module structure of the official ResNeSt (zhanghang1989/ResNeSt, resnest/torch/models/
resnet.py and splat.py), written here from that structure, at ResNeSt-14 size ([1, 1, 1, 1] blocks), saved as the
official weights were.

What the official code builds, and so the names its checkpoints carry:
  conv1          deep stem Sequential: Conv(3, w, 3, s2), BN, ReLU, Conv(w, w, 3), BN, ReLU, Conv(w, 2w, 3), w = 32;
  bn1, maxpool   BN(2w), MaxPool(3, 2, 1);
  layerN.B       Bottleneck: conv1 1x1, bn1, ReLU, conv2 = SplAtConv2d, [avd_layer AvgPool(3, stride, 1) when
                 stride > 1 or is_first (the first block of layers 2-4), the conv then at stride 1], conv3 1x1, bn3,
                 downsample = [AvgPool(stride, stride, ceil_mode, count_include_pad=False), Conv 1x1, BN] (avg_down);
  SplAtConv2d    conv (groups = cardinality * radix, no bias), bn0, ReLU, fc1 (groups = cardinality), bn1, ReLU,
                 fc2, rSoftMax (softmax over the radix, cardinality-major view), inter = max(in * radix // 4, 32);
  fc             Linear(2048, classes).

Writes resnest14_official.pth (a torch.save zip), resnest14_official_legacy.pth (the format before PyTorch 1.6,
which the published weights date from) and resnest14_official.case.safetensors (`x` and float64 `logits`) into OUT_DIR.
Usage: make_resnest_official_case.py OUT_DIR [--size 64]
"""
import argparse
import copy
import os

import torch
import torch.nn as nn
import torch.nn.functional as F

from make_torchvision_case import make_batchnorm_nontrivial, write_safetensors


class RSoftMax(nn.Module):
    def __init__(self, radix, cardinality):
        super().__init__()
        self.radix, self.cardinality = radix, cardinality

    def forward(self, x):
        n = x.size(0)
        if self.radix == 1:
            return torch.sigmoid(x)
        return F.softmax(x.view(n, self.cardinality, self.radix, -1).transpose(1, 2), dim=1).reshape(n, -1)


class SplAtConv2d(nn.Module):
    def __init__(self, cin, channels, stride, groups=1, radix=2, reduction_factor=4):
        super().__init__()
        inter = max(cin * radix // reduction_factor, 32)
        self.radix = radix
        self.conv = nn.Conv2d(cin, channels * radix, 3, stride, 1, groups=groups * radix, bias=False)
        self.bn0 = nn.BatchNorm2d(channels * radix)
        self.fc1 = nn.Conv2d(channels, inter, 1, groups=groups)
        self.bn1 = nn.BatchNorm2d(inter)
        self.fc2 = nn.Conv2d(inter, channels * radix, 1, groups=groups)
        self.rsoftmax = RSoftMax(radix, groups)

    def forward(self, x):
        x = F.relu(self.bn0(self.conv(x)))
        n, rc = x.shape[:2]
        splits = torch.split(x, rc // self.radix, dim=1)
        gap = F.adaptive_avg_pool2d(sum(splits), 1)
        attn = self.rsoftmax(self.fc2(F.relu(self.bn1(self.fc1(gap))))).view(n, -1, 1, 1)
        return sum(a * s for a, s in zip(torch.split(attn, rc // self.radix, dim=1), splits))


class Bottleneck(nn.Module):
    def __init__(self, inplanes, planes, stride, downsample, is_first):
        super().__init__()
        self.conv1 = nn.Conv2d(inplanes, planes, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(planes)
        self.avd = stride > 1 or is_first
        if self.avd:
            self.avd_layer = nn.AvgPool2d(3, stride, padding=1)
            stride = 1
        self.conv2 = SplAtConv2d(planes, planes, stride)
        self.conv3 = nn.Conv2d(planes, planes * 4, 1, bias=False)
        self.bn3 = nn.BatchNorm2d(planes * 4)
        self.downsample = downsample

    def forward(self, x):
        out = self.conv2(F.relu(self.bn1(self.conv1(x))))
        if self.avd:
            out = self.avd_layer(out)
        out = self.bn3(self.conv3(out))
        return F.relu(out + (x if self.downsample is None else self.downsample(x)))


class ResNeSt(nn.Module):
    def __init__(self, layers, stem_width=32, num_classes=1000):
        super().__init__()
        w = stem_width
        self.conv1 = nn.Sequential(
            nn.Conv2d(3, w, 3, 2, 1, bias=False), nn.BatchNorm2d(w), nn.ReLU(inplace=True),
            nn.Conv2d(w, w, 3, 1, 1, bias=False), nn.BatchNorm2d(w), nn.ReLU(inplace=True),
            nn.Conv2d(w, 2 * w, 3, 1, 1, bias=False))
        self.bn1 = nn.BatchNorm2d(2 * w)
        self.maxpool = nn.MaxPool2d(3, 2, 1)
        inplanes = 2 * w
        for i, (planes, depth) in enumerate(zip((64, 128, 256, 512), layers)):
            stride = 1 if i == 0 else 2
            down = None
            if stride != 1 or inplanes != planes * 4:
                down = nn.Sequential(nn.AvgPool2d(stride, stride, ceil_mode=True, count_include_pad=False),
                                     nn.Conv2d(inplanes, planes * 4, 1, bias=False), nn.BatchNorm2d(planes * 4))
            blocks = [Bottleneck(inplanes, planes, stride, down, is_first=i > 0)]
            inplanes = planes * 4
            blocks += [Bottleneck(inplanes, planes, 1, None, is_first=False) for _ in range(1, depth)]
            setattr(self, f"layer{i + 1}", nn.Sequential(*blocks))
        self.fc = nn.Linear(2048, num_classes)

    def forward(self, x):
        x = self.maxpool(F.relu(self.bn1(self.conv1(x))))
        x = self.layer4(self.layer3(self.layer2(self.layer1(x))))
        return self.fc(torch.flatten(F.adaptive_avg_pool2d(x, 1), 1))


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("out_dir")
    p.add_argument("--size", type=int, default=64)
    a = p.parse_args()
    torch.manual_seed(0)
    gen = torch.Generator().manual_seed(0)
    model = ResNeSt([1, 1, 1, 1])
    make_batchnorm_nontrivial(model, a.size, gen)
    x = torch.randn(2, 3, a.size, a.size, generator=gen)
    with torch.no_grad():
        logits = copy.deepcopy(model).double()(x.double())
    os.makedirs(a.out_dir, exist_ok=True)
    name = os.path.join(a.out_dir, "resnest14_official")
    torch.save(model.state_dict(), name + ".pth")
    torch.save(model.state_dict(), name + "_legacy.pth", _use_new_zipfile_serialization=False)
    write_safetensors(name + ".case.safetensors", {"x": x, "logits": logits})


if __name__ == "__main__":
    main()
