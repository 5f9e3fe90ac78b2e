#!/usr/bin/env python3
"""State dicts under OpenMMLab's names, for the mmcv key mapping's tests.

The modules below are written from mmcv's documented structure (cnn/bricks/context_block.py, non_local.py and
ConvModule) and mmdet's ResNet plugins, with the parameter names those produce; mmcv itself is not installed:
  ContextBlock  conv_mask (C -> 1), channel_add_conv / channel_mul_conv = Sequential(Conv2d(C, p), LayerNorm([p, 1, 1])
                (eps 1e-5), ReLU, Conv2d(p, C)) with p = int(C * ratio); z = x * sigmoid(mul(ctx)) + add(ctx);
  NonLocal2d    g, theta, phi, conv_out are ConvModules (`.conv`, and `.bn` after conv_out when norm_cfg is BN,
                which drops conv_out's bias); sub_sample makes g and phi Sequential(ConvModule, MaxPool2d(2));
                concatenation adds concat_project, a ConvModule without bias and with a ReLU;
  mmdet ResNet  torchvision's layer names (bn1, bn2, bn3, downsample.0/1) with ContextBlock plugins named
                `context_block`, after conv3 (after bn3, before the residual sum) in stages 2-4, under `backbone.`,
                with an mmcls-style linear head `head.fc`.

Writes into OUT_DIR, for each case NAME: NAME.pth (torch.save of the state dict) and NAME.case.safetensors (`x`
and the float64 output `y`):
  context_block   ContextBlock(32, ratio 1/4, att pooling, channel_add and channel_mul), x [2, 32, 6, 7];
  nonlocal_bn     NonLocal2d(16, embedded_gaussian, use_scale, sub_sample, BN after conv_out), x [2, 16, 6, 8];
  nonlocal_concat NonLocal2d(16, concatenation, no sub_sample, no norm), x [2, 16, 5, 6];
  mmdet_gcnet     the mmdet ResNet-50 above with r 16 plugins and a 1000-class head, x [2, 3, 64, 64] -> logits.
Usage: make_mmcv_case.py OUT_DIR
"""
import copy
import os
import sys

import torch
import torch.nn as nn
import torch.nn.functional as F
import torchvision
from torchvision.models.resnet import Bottleneck

from make_torchvision_case import make_batchnorm_nontrivial, write_safetensors


class ContextBlock(nn.Module):
    def __init__(self, c, ratio, fusions=("channel_add",)):
        super().__init__()
        p = int(c * ratio)
        self.conv_mask = nn.Conv2d(c, 1, 1)
        def transform():
            return nn.Sequential(nn.Conv2d(c, p, 1), nn.LayerNorm([p, 1, 1]), nn.ReLU(inplace=True), nn.Conv2d(p, c, 1))
        self.channel_add_conv = transform() if "channel_add" in fusions else None
        self.channel_mul_conv = transform() if "channel_mul" in fusions else None

    def forward(self, x):
        n, c, h, w = x.shape
        weights = torch.softmax(self.conv_mask(x).view(n, 1, h * w), dim=2)
        ctx = torch.matmul(x.view(n, 1, c, h * w), weights.unsqueeze(-1)).view(n, c, 1, 1)
        out = x
        if self.channel_mul_conv is not None:
            out = out * torch.sigmoid(self.channel_mul_conv(ctx))
        if self.channel_add_conv is not None:
            out = out + self.channel_add_conv(ctx)
        return out


class ConvModule(nn.Module):
    """mmcv's ConvModule reduced to what NonLocal2d uses: `conv`, an optional BN `bn`, an optional ReLU."""
    def __init__(self, cin, cout, bias=True, norm=False, relu=False):
        super().__init__()
        self.conv = nn.Conv2d(cin, cout, 1, bias=bias and not norm)
        self.bn = nn.BatchNorm2d(cout) if norm else None
        self.relu = relu

    def forward(self, x):
        x = self.conv(x)
        if self.bn is not None:
            x = self.bn(x)
        return F.relu(x) if self.relu else x


class NonLocal2d(nn.Module):
    def __init__(self, c, mode, sub_sample=False, norm=False, use_scale=True, reduction=2):
        super().__init__()
        self.mode, self.use_scale, self.inter = mode, use_scale, c // reduction
        self.g = ConvModule(c, self.inter)
        self.conv_out = ConvModule(self.inter, c, norm=norm)
        self.theta = ConvModule(c, self.inter)
        self.phi = ConvModule(c, self.inter)
        if mode == "concatenation":
            self.concat_project = ConvModule(2 * self.inter, 1, bias=False, relu=True)
        if sub_sample:
            self.g = nn.Sequential(self.g, nn.MaxPool2d(2))
            self.phi = nn.Sequential(self.phi, nn.MaxPool2d(2))

    def forward(self, x):
        n = x.size(0)
        g = self.g(x).view(n, self.inter, -1).permute(0, 2, 1)                         # [N, P', K]
        if self.mode == "concatenation":
            theta = self.theta(x).view(n, self.inter, -1, 1)
            phi = self.phi(x).view(n, self.inter, 1, -1)
            h, w = theta.size(2), phi.size(3)
            pair = self.concat_project(torch.cat([theta.repeat(1, 1, 1, w), phi.repeat(1, 1, h, 1)], dim=1))
            pair = pair.view(n, h, w) / w
        else:
            theta = self.theta(x).view(n, self.inter, -1).permute(0, 2, 1)             # [N, P, K]
            phi = self.phi(x).view(n, self.inter, -1)                                  # [N, K, P']
            pair = torch.matmul(theta, phi)
            if self.use_scale:
                pair = pair / self.inter ** 0.5
            pair = pair.softmax(dim=-1)
        y = torch.matmul(pair, g).permute(0, 2, 1).reshape(n, self.inter, *x.shape[2:])
        return x + self.conv_out(y)


class PluginBottleneck(Bottleneck):
    """mmdet's Bottleneck with an after_conv3 plugin `context_block`."""
    def forward(self, x):
        out = F.relu(self.bn1(self.conv1(x)))
        out = F.relu(self.bn2(self.conv2(out)))
        out = self.bn3(self.conv3(out))
        if hasattr(self, "context_block"):
            out = self.context_block(out)
        return F.relu(out + (x if self.downsample is None else self.downsample(x)))


class Head(nn.Module):
    def __init__(self, c, classes):
        super().__init__()
        self.fc = nn.Linear(c, classes)


class Classifier(nn.Module):
    """backbone -> global average pool -> head.fc, as mmcls's ImageClassifier names it."""
    def __init__(self, backbone, head):
        super().__init__()
        self.backbone, self.head = backbone, head

    def forward(self, x):
        b = self.backbone
        x = b.maxpool(F.relu(b.bn1(b.conv1(x))))
        x = b.layer4(b.layer3(b.layer2(b.layer1(x))))
        return self.head.fc(x.mean(dim=(2, 3)))


def mmdet_gcnet():
    backbone = torchvision.models.resnet50(weights=None)
    del backbone.fc
    for stage, layer in enumerate((backbone.layer1, backbone.layer2, backbone.layer3, backbone.layer4), start=1):
        for block in layer:
            block.__class__ = PluginBottleneck
            if stage >= 2:
                block.context_block = ContextBlock(block.conv3.out_channels, 1 / 16)
    return Classifier(backbone, Head(2048, 1000))


def randomize(module, gen, std=0.3):
    """Random values for every parameter (mmcv zero-inits the last convs, which would hide a wrong mapping)."""
    with torch.no_grad():
        for name, t in module.named_parameters():
            if name.endswith(("1.weight",)) and t.dim() == 3:
                t.uniform_(0.5, 1.5, generator=gen)                                    # LayerNorm gamma
            else:
                t.normal_(0, std, generator=gen)


def calibrate_bn(module, gen):
    """Eval mode with running statistics far from 0 and 1."""
    bns = [m for m in module.modules() if isinstance(m, nn.BatchNorm2d)]
    with torch.no_grad():
        for bn in bns:
            bn.running_mean.normal_(0, 0.2, generator=gen)
            bn.running_var.uniform_(0.5, 1.5, generator=gen)
    module.eval()


def save(out, name, module, x):
    with torch.no_grad():
        y = copy.deepcopy(module).double()(x.double())
    torch.save(module.state_dict(), os.path.join(out, name + ".pth"))
    write_safetensors(os.path.join(out, name + ".case.safetensors"), {"x": x, "y": y})


def main():
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    torch.manual_seed(0)
    gen = torch.Generator().manual_seed(0)

    block = ContextBlock(32, 1 / 4, ("channel_add", "channel_mul"))
    randomize(block, gen)
    save(out, "context_block", block.eval(), torch.randn(2, 32, 6, 7, generator=gen))

    nl = NonLocal2d(16, "embedded_gaussian", sub_sample=True, norm=True)
    randomize(nl, gen)
    calibrate_bn(nl, gen)
    save(out, "nonlocal_bn", nl, torch.randn(2, 16, 6, 8, generator=gen))

    concat = NonLocal2d(16, "concatenation")
    randomize(concat, gen)
    save(out, "nonlocal_concat", concat.eval(), torch.randn(2, 16, 5, 6, generator=gen))

    gcnet = mmdet_gcnet()
    for m in gcnet.modules():
        if isinstance(m, ContextBlock):
            randomize(m, gen, std=0.05)
    make_batchnorm_nontrivial(gcnet, 64, gen)
    save(out, "mmdet_gcnet", gcnet, torch.randn(2, 3, 64, 64, generator=gen))


if __name__ == "__main__":
    main()
