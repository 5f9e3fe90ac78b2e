#!/usr/bin/env python3
"""Ground truth for ContextNets' video-network parity tests.

Builds a video network with random weights, makes its BatchNorm layers non-trivial in eval mode, and writes into
OUT_DIR NAME.safetensors (the state_dict) and NAME.case.safetensors (`x`, a random clip [batch, 3, frames, size,
size], and `logits`, the eval-mode output computed in float64 from the same float32 weights).

NAME is one of torchvision's r3d_18, mc3_18, r2plus1d_18 (torchvision's own code), or one of the Non-local paper's
networks, written here from the paper (Wang et al. 2018, Table 1 and section 4) and the official video-nonlocal-net
architecture table (obtain_arc): c2d_resnet50, i3d_resnet50, i3d_resnet50_nl5, i3d_resnet50_nl10, i3d_resnet50_gc.
The 1x1 convs inside NL and GC blocks are stored as [out, in, 1, 1], the blocks' shared 2-D parameter shape.

Usage: make_video_case.py NAME OUT_DIR [--size 32] [--frames 4] [--batch 1] [--seed 0]
Needs Debian's python3-torch and python3-torchvision; nothing is downloaded.
"""
import argparse
import copy
import math
import os
import sys

import torch
import torch.nn as nn
import torch.nn.functional as F
import torchvision

from make_torchvision_case import write_safetensors

# obtain_arc (ResNet-50): which blocks inflate their first 1x1 to 3x1x1, per stage res2..res5.
I3D_INFLATED = [[1, 1, 1], [1, 0, 1, 0], [1, 0, 1, 0, 1, 0], [0, 1, 0]]


class NonLocal3d(nn.Module):
    """z = x + BN(W_z y), y_i = sum_j softmax_j(theta_i . phi_j / sqrt(K)) g_j, keys max-pooled (1, 2, 2) per frame."""
    def __init__(self, c):
        super().__init__()
        k = self.k = c // 2
        self.g, self.theta, self.phi = nn.Conv3d(c, k, 1), nn.Conv3d(c, k, 1), nn.Conv3d(c, k, 1)
        self.conv_out = nn.Conv3d(k, c, 1, bias=False)
        self.norm = nn.BatchNorm3d(c)
        for conv in (self.g, self.theta, self.phi):
            nn.init.normal_(conv.weight, std=0.01)
            nn.init.zeros_(conv.bias)

    def forward(self, x):
        n, _, t, h, w = x.shape
        q = self.theta(x).flatten(2).transpose(1, 2)                                 # [N, THW, K]
        keys = F.max_pool3d(self.phi(x), (1, 2, 2)).flatten(2)                       # [N, K, P']
        values = F.max_pool3d(self.g(x), (1, 2, 2)).flatten(2).transpose(1, 2)      # [N, P', K]
        y = torch.softmax(q @ keys / math.sqrt(self.k), dim=2) @ values               # [N, THW, K]
        return x + self.norm(self.conv_out(y.transpose(1, 2).reshape(n, self.k, t, h, w)))


class ContextTransform(nn.Module):
    """GCNet's transform: 1x1 conv C -> C/r, LayerNorm over the channels, ReLU, 1x1 conv back."""
    def __init__(self, c, hidden):
        super().__init__()
        self.fc1 = nn.Conv3d(c, hidden, 1)
        self.norm = nn.LayerNorm(hidden, eps=1e-5)
        self.fc2 = nn.Conv3d(hidden, c, 1)

    def forward(self, ctx):
        h = self.fc1(ctx)
        h = self.norm(h.permute(0, 2, 3, 4, 1)).permute(0, 4, 1, 2, 3)
        return self.fc2(F.relu(h))


class GlobalContext3d(nn.Module):
    """z = x + T(sum_j softmax_j(w_k . x_j + b) x_j), the softmax over every position of the clip."""
    def __init__(self, c, r=16):
        super().__init__()
        self.conv_attn = nn.Conv3d(c, 1, 1)
        self.mlp_add = ContextTransform(c, c // r)

    def forward(self, x):
        weights = torch.softmax(self.conv_attn(x).flatten(2), dim=2)                 # [N, 1, THW]
        ctx = torch.bmm(x.flatten(2), weights.transpose(1, 2))                       # [N, C, 1]
        return x + self.mlp_add(ctx[..., None, None])


class Bottleneck3d(nn.Module):
    def __init__(self, cin, planes, stride, kt, extra):
        super().__init__()
        cout = planes * 4
        self.conv1 = nn.Conv3d(cin, planes, (kt, 1, 1), padding=(kt // 2, 0, 0), bias=False)
        self.bn1 = nn.BatchNorm3d(planes)
        self.conv2 = nn.Conv3d(planes, planes, (1, 3, 3), (1, stride, stride), (0, 1, 1), bias=False)
        self.bn2 = nn.BatchNorm3d(planes)
        self.conv3 = nn.Conv3d(planes, cout, 1, bias=False)
        self.bn3 = nn.BatchNorm3d(cout)
        self.downsample = None
        if stride != 1 or cin != cout:
            self.downsample = nn.Sequential(nn.Conv3d(cin, cout, 1, (1, stride, stride), bias=False), nn.BatchNorm3d(cout))
        if extra == "gc":
            self.gc = GlobalContext3d(cout)
        if extra == "nl":
            self.nl = NonLocal3d(cout)

    def forward(self, x):
        out = F.relu(self.bn1(self.conv1(x)))
        out = F.relu(self.bn2(self.conv2(out)))
        out = self.bn3(self.conv3(out))
        if hasattr(self, "gc"):
            out = self.gc(out)
        out = F.relu(out + (x if self.downsample is None else self.downsample(x)))
        return self.nl(out) if hasattr(self, "nl") else out


class PaperResNet50(nn.Module):
    """C2D / I3D ResNet-50: conv1 kt x 7 x 7 stride (1,2,2), max pool 1x3x3 stride (1,2,2) pad (0,1,1), res2, max pool 2x1x1
    stride (2,1,1), res3-res5, global average pool, fc."""
    def __init__(self, inflated, extra, every_block=False, num_classes=400):
        super().__init__()
        kt = 5 if inflated else 1
        self.conv1 = nn.Conv3d(3, 64, (kt, 7, 7), (1, 2, 2), (kt // 2, 3, 3), bias=False)
        self.bn1 = nn.BatchNorm3d(64)
        cin = 64
        for s, depth in enumerate((3, 4, 6, 3)):
            blocks = []
            for b in range(depth):
                temporal = 3 if inflated and I3D_INFLATED[s][b] else 1
                here = None
                if extra == "nl" and s in (1, 2) and (every_block or b % 2 == 1):
                    here = "nl"
                if extra == "gc" and s >= 1:
                    here = "gc"
                blocks.append(Bottleneck3d(cin, 64 << s, 2 if b == 0 and s > 0 else 1, temporal, here))
                cin = (64 << s) * 4
            setattr(self, f"layer{s + 1}", nn.Sequential(*blocks))
        self.fc = nn.Linear(cin, num_classes)

    def forward(self, x):
        x = F.max_pool3d(F.relu(self.bn1(self.conv1(x))), (1, 3, 3), (1, 2, 2), (0, 1, 1))
        x = F.max_pool3d(self.layer1(x), (2, 1, 1), (2, 1, 1))
        x = self.layer4(self.layer3(self.layer2(x)))
        return self.fc(x.mean((2, 3, 4)))


PAPER = {
    "c2d_resnet50": lambda: PaperResNet50(False, None),
    "i3d_resnet50": lambda: PaperResNet50(True, None),
    "i3d_resnet50_nl5": lambda: PaperResNet50(True, "nl"),
    "i3d_resnet50_nl10": lambda: PaperResNet50(True, "nl", every_block=True),
    "i3d_resnet50_gc": lambda: PaperResNet50(True, "gc"),
}


def build(name):
    if name in PAPER:
        return PAPER[name]()
    if name in ("r3d_18", "mc3_18", "r2plus1d_18"):
        return getattr(torchvision.models.video, name)(weights=None)
    sys.exit(f"make_video_case: unknown model '{name}'")


def make_batchnorm_nontrivial(model, shape, gen):
    """Random affine parameters, running stats from real batch statistics, then a perturbation (as for images)."""
    bns = [m for m in model.modules() if isinstance(m, nn.BatchNorm3d)]
    with torch.no_grad():
        for bn in bns:
            bn.weight.copy_(torch.empty_like(bn.weight).uniform_(0.5, 1.5, generator=gen))
            bn.bias.copy_(torch.randn(bn.bias.shape, generator=gen) * 0.2)
            bn.reset_running_stats()
            bn.momentum = None
        model.train()
        for _ in range(3):
            model(torch.randn(2, *shape, generator=gen))
        for bn in bns:
            bn.running_mean.add_(torch.randn(bn.running_mean.shape, generator=gen) * 0.1 * bn.running_var.sqrt())
            bn.running_var.mul_(torch.empty_like(bn.running_var).uniform_(0.7, 1.4, generator=gen))
            bn.momentum = 0.1
    model.eval()


def block_state(model):
    """The state dict, with the 1x1x1 convs of NL and GC blocks as the [out, in, 1, 1] the blocks hold."""
    state = {}
    for key, value in model.state_dict().items():
        inside = ".nl." in key or ".gc." in key
        state[key] = value[..., 0] if inside and value.dim() == 5 else value
    return state


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("name")
    p.add_argument("out_dir")
    p.add_argument("--size", type=int, default=32)
    p.add_argument("--frames", type=int, default=4)
    p.add_argument("--batch", type=int, default=1)
    p.add_argument("--seed", type=int, default=0)
    a = p.parse_args()

    torch.manual_seed(a.seed)
    gen = torch.Generator().manual_seed(a.seed)
    model = build(a.name)
    shape = (3, a.frames, a.size, a.size)
    make_batchnorm_nontrivial(model, shape, gen)
    x = torch.randn(a.batch, *shape, generator=gen)
    with torch.no_grad():
        logits = copy.deepcopy(model).double()(x.double())

    os.makedirs(a.out_dir, exist_ok=True)
    write_safetensors(os.path.join(a.out_dir, a.name + ".safetensors"), block_state(model))
    write_safetensors(os.path.join(a.out_dir, a.name + ".case.safetensors"), {"x": x, "logits": logits})


if __name__ == "__main__":
    main()
