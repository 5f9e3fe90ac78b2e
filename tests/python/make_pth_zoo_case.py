#!/usr/bin/env python3
"""Logits parity through torch.save: zoo networks in plain PyTorch, saved with torch.save(model.state_dict()).

  gcresnet50   make_zoo_case.py's GC ResNet-50 (timm keys), as a torch.save zip;
  resnet50     torchvision's resnet50, in the legacy format (_use_new_zipfile_serialization=False);
  gc_resnet20  the Fashion-MNIST model of the zoo: a CIFAR ResNet-20 (3x3 stem of 16, stages of 3 basic blocks at
               16, 32, 64 channels, 1x1 conv + BN shortcuts) over 1-channel images with 10 classes, and a GC block
               (attention pooling, add fusion, r 4, LayerNorm eps 1e-6) after bn2 of every block, key `se`.

Writes NAME.pth (the state dict, BatchNorm made non-trivial as make_torchvision_case.py does) and
NAME.case.safetensors (`x` and float64 `logits`) into OUT_DIR.
Usage: make_pth_zoo_case.py NAME OUT_DIR [--size 64] [--batch 2] [--seed 0]
"""
import argparse
import copy
import os

import torch
import torch.nn as nn
import torch.nn.functional as F
from torchvision.models.resnet import BasicBlock

from make_torchvision_case import build, make_batchnorm_nontrivial, write_safetensors
from make_zoo_case import GlobalContextAdd, gcresnet50


class GcBasicBlock(BasicBlock):
    """torchvision's basic block with a GC block `se` after bn2, before the residual sum."""
    def forward(self, x):
        out = F.relu(self.bn1(self.conv1(x)))
        out = self.se(self.bn2(self.conv2(out)))
        return F.relu(out + (x if self.downsample is None else self.downsample(x)))


class GcResNet20(nn.Module):
    def __init__(self, in_channels=1, num_classes=10):
        super().__init__()
        self.conv1 = nn.Conv2d(in_channels, 16, 3, 1, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(16)
        inplanes = 16
        for i, planes in enumerate((16, 32, 64)):
            blocks = []
            for b in range(3):
                stride = 2 if i > 0 and b == 0 else 1
                down = None
                if stride != 1 or inplanes != planes:
                    down = nn.Sequential(nn.Conv2d(inplanes, planes, 1, stride, bias=False), nn.BatchNorm2d(planes))
                block = GcBasicBlock(inplanes, planes, stride, down)
                block.se = GlobalContextAdd(planes, 4)
                blocks.append(block)
                inplanes = planes
            setattr(self, f"layer{i + 1}", nn.Sequential(*blocks))
        self.fc = nn.Linear(64, num_classes)

    def forward(self, x):
        x = F.relu(self.bn1(self.conv1(x)))
        x = self.layer3(self.layer2(self.layer1(x)))
        return self.fc(x.mean(dim=(2, 3)))


class FirstChannel(nn.Module):
    """Feeds the first channel of a 3-channel batch to a 1-channel model (for the BatchNorm calibration)."""
    def __init__(self, model):
        super().__init__()
        self.model = model

    def forward(self, x):
        return self.model(x[:, :1])


MODELS = {
    "gcresnet50": (gcresnet50, 3, True),
    "resnet50": (lambda: build("resnet50"), 3, False),
    "gc_resnet20": (GcResNet20, 1, True),
}


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("name", choices=sorted(MODELS))
    p.add_argument("out_dir")
    p.add_argument("--size", type=int, default=64)
    p.add_argument("--batch", type=int, default=2)
    p.add_argument("--seed", type=int, default=0)
    a = p.parse_args()

    make, channels, zip_format = MODELS[a.name]
    torch.manual_seed(a.seed)
    gen = torch.Generator().manual_seed(a.seed)
    model = make()
    if a.name == "gc_resnet20":
        # GC transforms start at zero in PyTorch too; random ones make every GC tensor matter.
        with torch.no_grad():
            for m in model.modules():
                if isinstance(m, GlobalContextAdd):
                    for t in m.parameters():
                        t.normal_(0, 0.3, generator=gen)
    make_batchnorm_nontrivial(FirstChannel(model) if channels == 1 else model, a.size, gen)
    x = torch.randn(a.batch, channels, a.size, a.size, generator=gen)
    with torch.no_grad():
        logits = copy.deepcopy(model).double()(x.double())

    os.makedirs(a.out_dir, exist_ok=True)
    torch.save(model.state_dict(), os.path.join(a.out_dir, a.name + ".pth"), _use_new_zipfile_serialization=zip_format)
    write_safetensors(os.path.join(a.out_dir, a.name + ".case.safetensors"), {"x": x, "logits": logits})


if __name__ == "__main__":
    main()
