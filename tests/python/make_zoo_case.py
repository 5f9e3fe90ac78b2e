#!/usr/bin/env python3
"""Ground truth for the zoo's logits parity tests: attention ResNets defined here from the papers and timm's layouts,
in plain PyTorch on torchvision's ResNet, with ContextNets' (timm's) state-dict keys.

  gcresnet50   torchvision resnet50 with a GC block (attention pooling, add fusion, r 16, LayerNorm eps 1e-6) after
               bn3 of every bottleneck in layer2-4, under the key `se`;
  seresnet50   an SE block (r 16, rounded to a multiple of 8) after bn3 of every bottleneck, key `se`;
  nlresnet50   one non-local block (embedded gaussian, inner C/2, 2x2 max-pooled phi and g, no scaling, conv_out
               without bias followed by BatchNorm) after layer3.4, key `layer3.4.non_local_block`;
  resnest14d   ResNeSt-D [1, 1, 1, 1]: deep stem (32, 32, 64), split attention (radix 2) as the 3x3 conv, a 3x3
               average pool after it in strided blocks (avd), average-pool-then-conv shortcuts (avg-down).

Writes NAME.safetensors (the weights) and NAME.case.safetensors (`x` and float64 `logits`) into OUT_DIR, with
BatchNorm made non-trivial as make_torchvision_case.py does.
Usage: make_zoo_case.py NAME OUT_DIR [--size 64] [--batch 2] [--seed 0]
"""
import argparse
import copy
import os

import torch
import torch.nn as nn
import torch.nn.functional as F
import torchvision
from torchvision.models.resnet import Bottleneck

from make_torchvision_case import make_batchnorm_nontrivial, write_safetensors


def round_to(v, divisor, minimum=None):
    """timm's make_divisible with round_limit 0.9: nearest multiple, at least `minimum`, never more than 10% below v."""
    minimum = minimum or divisor
    r = max(minimum, int(v + divisor / 2) // divisor * divisor)
    return r + divisor if r < 0.9 * v else r


class ChannelNorm(nn.LayerNorm):
    """LayerNorm over the channels of an NCHW map."""
    def forward(self, x):
        return super().forward(x.permute(0, 2, 3, 1)).permute(0, 3, 1, 2)


class ContextTransform(nn.Module):
    def __init__(self, c, hidden):
        super().__init__()
        self.fc1 = nn.Conv2d(c, hidden, 1)
        self.norm = ChannelNorm(hidden, eps=1e-6)
        self.fc2 = nn.Conv2d(hidden, c, 1)

    def forward(self, ctx):
        return self.fc2(F.relu(self.norm(self.fc1(ctx))))


class GlobalContextAdd(nn.Module):
    """z = x + T(sum_j softmax_j(w_k . x_j + b) x_j)."""
    def __init__(self, c, r):
        super().__init__()
        self.conv_attn = nn.Conv2d(c, 1, 1)
        self.mlp_add = ContextTransform(c, c // r)

    def forward(self, x):
        weights = torch.softmax(self.conv_attn(x).flatten(2), dim=2)           # [N, 1, P]
        ctx = torch.bmm(x.flatten(2), weights.transpose(1, 2))                 # [N, C, 1]
        return x + self.mlp_add(ctx.unsqueeze(3))


class SqueezeExcitation(nn.Module):
    def __init__(self, c):
        super().__init__()
        rd = round_to(c / 16, 8)
        self.fc1 = nn.Conv2d(c, rd, 1)
        self.fc2 = nn.Conv2d(rd, c, 1)

    def forward(self, x):
        gate = torch.sigmoid(self.fc2(F.relu(self.fc1(x.mean(dim=(2, 3), keepdim=True)))))
        return x * gate


class NonLocalBlock(nn.Module):
    """z = x + BN(W_z y), y_i = sum_j softmax_j(theta_i . phi_j) g_j over 2x2 max-pooled keys."""
    def __init__(self, c):
        super().__init__()
        k = c // 2
        self.g, self.theta, self.phi = nn.Conv2d(c, k, 1), nn.Conv2d(c, k, 1), nn.Conv2d(c, k, 1)
        self.conv_out = nn.Conv2d(k, c, 1, bias=False)
        self.norm = nn.BatchNorm2d(c)
        # The paper's (and mmcv's) init of the embeddings. PyTorch's default, about twice as wide, makes the softmax so
        # peaked that float32 itself lands 8e-5 of the logits' scale away from float64.
        for conv in (self.g, self.theta, self.phi):
            nn.init.normal_(conv.weight, std=0.01)
            nn.init.zeros_(conv.bias)

    def forward(self, x):
        n, _, h, w = x.shape
        q = self.theta(x).flatten(2).transpose(1, 2)                           # [N, P, K]
        keys = F.max_pool2d(self.phi(x), 2).flatten(2)                         # [N, K, P']
        values = F.max_pool2d(self.g(x), 2).flatten(2).transpose(1, 2)         # [N, P', K]
        y = torch.softmax(q @ keys, dim=2) @ values                            # [N, P, K]
        return x + self.norm(self.conv_out(y.transpose(1, 2).reshape(n, -1, h, w)))


class AttentionBottleneck(Bottleneck):
    """torchvision's bottleneck with an optional `se` module after bn3 and `non_local_block` after the output."""
    def forward(self, x):
        out = F.relu(self.bn1(self.conv1(x)))
        out = F.relu(self.bn2(self.conv2(out)))
        out = self.bn3(self.conv3(out))
        if hasattr(self, "se"):
            out = self.se(out)
        shortcut = x if self.downsample is None else self.downsample(x)
        out = F.relu(out + shortcut)
        if hasattr(self, "non_local_block"):
            out = self.non_local_block(out)
        return out


def attention_resnet50(place):
    model = torchvision.models.resnet50(weights=None)
    for stage, layer in enumerate((model.layer1, model.layer2, model.layer3, model.layer4), start=1):
        for index, block in enumerate(layer):
            block.__class__ = AttentionBottleneck
            place(stage, index, block, block.conv3.out_channels)
    return model


def gcresnet50():
    def place(stage, index, block, c):
        if stage >= 2:
            block.se = GlobalContextAdd(c, 16)
    return attention_resnet50(place)


def seresnet50():
    def place(stage, index, block, c):
        block.se = SqueezeExcitation(c)
    return attention_resnet50(place)


def nlresnet50():
    def place(stage, index, block, c):
        if stage == 3 and index == 4:
            block.non_local_block = NonLocalBlock(c)
    return attention_resnet50(place)


class SplitAttention(nn.Module):
    """ResNeSt's split attention with radix R and cardinality K: U = ReLU(BN(grouped conv)) holds R maps of C channels
    (radix-major); a per-channel softmax over the R maps, from the pooled sum of the maps, weighs them."""
    def __init__(self, cin, cout, stride, radix=2, cardinality=1):
        super().__init__()
        self.radix, self.cardinality = radix, cardinality
        hidden = round_to(cin * radix / 4, 8, minimum=32)
        self.conv = nn.Conv2d(cin, cout * radix, 3, stride, 1, groups=cardinality * radix, bias=False)
        self.bn0 = nn.BatchNorm2d(cout * radix)
        self.fc1 = nn.Conv2d(cout, hidden, 1, groups=cardinality)
        self.bn1 = nn.BatchNorm2d(hidden)
        self.fc2 = nn.Conv2d(hidden, cout * radix, 1, groups=cardinality)

    def forward(self, x):
        u = F.relu(self.bn0(self.conv(x)))
        n, rc, h, w = u.shape
        maps = u.view(n, self.radix, rc // self.radix, h, w)
        pooled = maps.sum(dim=1).mean(dim=(2, 3), keepdim=True)
        logits = self.fc2(F.relu(self.bn1(self.fc1(pooled)))).view(n, self.cardinality, self.radix, -1)
        weights = torch.softmax(logits, dim=2).transpose(1, 2).reshape(n, self.radix, rc // self.radix, 1, 1)
        return (maps * weights).sum(dim=1)


class ResNeStBlock(nn.Module):
    expansion = 4

    def __init__(self, inplanes, planes, stride):
        super().__init__()
        width, out = planes, planes * 4
        self.conv1 = nn.Conv2d(inplanes, width, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(width)
        self.conv2 = SplitAttention(width, width, 1)
        self.avd_last = nn.AvgPool2d(3, stride, padding=1) if stride > 1 else None
        self.conv3 = nn.Conv2d(width, out, 1, bias=False)
        self.bn3 = nn.BatchNorm2d(out)
        self.downsample = None
        if stride > 1 or inplanes != out:
            pool = nn.AvgPool2d(2, stride, ceil_mode=True, count_include_pad=False) if stride > 1 else nn.Identity()
            self.downsample = nn.Sequential(pool, nn.Conv2d(inplanes, out, 1, bias=False), nn.BatchNorm2d(out))

    def forward(self, x):
        out = self.conv2(F.relu(self.bn1(self.conv1(x))))
        if self.avd_last is not None:
            out = self.avd_last(out)
        out = self.bn3(self.conv3(out))
        return F.relu(out + (x if self.downsample is None else self.downsample(x)))


class ResNeStD(nn.Module):
    def __init__(self, layers, num_classes=1000):
        super().__init__()
        self.conv1 = nn.Sequential(
            nn.Conv2d(3, 32, 3, 2, 1, bias=False), nn.BatchNorm2d(32), nn.ReLU(),
            nn.Conv2d(32, 32, 3, 1, 1, bias=False), nn.BatchNorm2d(32), nn.ReLU(),
            nn.Conv2d(32, 64, 3, 1, 1, bias=False))
        self.bn1 = nn.BatchNorm2d(64)
        self.maxpool = nn.MaxPool2d(3, 2, 1)
        inplanes = 64
        for i, (planes, depth) in enumerate(zip((64, 128, 256, 512), layers)):
            blocks = []
            for b in range(depth):
                blocks.append(ResNeStBlock(inplanes, planes, 2 if i > 0 and b == 0 else 1))
                inplanes = planes * 4
            setattr(self, f"layer{i + 1}", nn.Sequential(*blocks))
        self.fc = nn.Linear(2048, num_classes)

    def forward(self, x):
        x = self.maxpool(F.relu(self.bn1(self.conv1(x))))
        x = self.layer4(self.layer3(self.layer2(self.layer1(x))))
        return self.fc(x.mean(dim=(2, 3)))


MODELS = {
    "gcresnet50": gcresnet50,
    "seresnet50": seresnet50,
    "nlresnet50": nlresnet50,
    "resnest14d": lambda: ResNeStD([1, 1, 1, 1]),
}


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("name", choices=sorted(MODELS))
    p.add_argument("out_dir")
    p.add_argument("--size", type=int, default=64)
    p.add_argument("--batch", type=int, default=2)
    p.add_argument("--seed", type=int, default=0)
    a = p.parse_args()

    torch.manual_seed(a.seed)
    gen = torch.Generator().manual_seed(a.seed)
    model = MODELS[a.name]()
    make_batchnorm_nontrivial(model, a.size, gen)
    x = torch.randn(a.batch, 3, a.size, a.size, generator=gen)
    with torch.no_grad():
        logits = copy.deepcopy(model).double()(x.double())

    os.makedirs(a.out_dir, exist_ok=True)
    write_safetensors(os.path.join(a.out_dir, a.name + ".safetensors"), model.state_dict())
    write_safetensors(os.path.join(a.out_dir, a.name + ".case.safetensors"), {"x": x, "logits": logits})


if __name__ == "__main__":
    main()
