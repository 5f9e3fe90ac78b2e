"""Selective Kernel test vectors, in the format of shared/reference/gen_vectors.py.

    /usr/bin/python3 tests/python/gen_sk_vector.py [OUTDIR]   (default: tests/testdata/blocks)

The block follows timm's SelectiveKernel (skresnet18/34) in its parameter names and
defaults: paths.P.{conv,bn} (conv+BN+ReLU per path), attn.{fc_reduce,bn,fc_select}.
Each file holds x, grad_y, y, grad_x, param.*, grad.* (of sum(y * grad_y)) and, in
train mode, updated.* (BN running stats after the step), computed in float64 from
float32 values; metadata block = "sk", config = the constructor arguments as JSON.
"""
import json
import os
import struct
import sys

import torch
import torch.nn as nn
import torch.nn.functional as F


def round_to_multiple(v, divisor=8, min_value=None, round_limit=0.9):
    """timm's make_divisible: nearest multiple, floored at min_value, one step up if too much was lost."""
    floor = min_value or divisor
    result = max(floor, int(v + divisor / 2) // divisor * divisor)
    return result + divisor if result < round_limit * v else result


class ConvBnRelu(nn.Module):
    def __init__(self, cin, cout, kernel, stride, dilation, groups):
        super().__init__()
        # timm pads symmetrically by ((stride - 1) + dilation * (kernel - 1)) // 2
        pad = ((stride - 1) + dilation * (kernel - 1)) // 2
        self.conv = nn.Conv2d(cin, cout, kernel, stride, pad, dilation=dilation, groups=groups, bias=False)
        self.bn = nn.BatchNorm2d(cout)

    def forward(self, x):
        return F.relu(self.bn(self.conv(x)))


class PathAttention(nn.Module):
    """Pooled sum of the paths -> 1x1 reduce -> BN -> ReLU -> 1x1 select -> softmax over the paths."""
    def __init__(self, channels, paths, width):
        super().__init__()
        self.paths = paths
        self.fc_reduce = nn.Conv2d(channels, width, 1, bias=False)
        self.bn = nn.BatchNorm2d(width)
        self.fc_select = nn.Conv2d(width, channels * paths, 1, bias=False)

    def forward(self, stacked):  # stacked: B x P x C x H x W
        pooled = stacked.sum(1).mean((2, 3), keepdim=True)
        logits = self.fc_select(F.relu(self.bn(self.fc_reduce(pooled))))
        b, pc = logits.shape[:2]
        return torch.softmax(logits.view(b, self.paths, pc // self.paths, 1, 1), dim=1)


class SelectiveKernel(nn.Module):
    def __init__(self, in_channels, out_channels=None, kernel_size=None, stride=1, dilation=1, groups=1,
                 rd_ratio=1 / 16, rd_channels=None, rd_divisor=8, keep_3x3=True, split_input=True):
        super().__init__()
        out_channels = out_channels or in_channels
        kernels = kernel_size or [3, 5]
        if not isinstance(kernels, list):
            kernels = [kernels, kernels]
        if keep_3x3:  # a k x k kernel becomes a 3x3 with dilation (k - 1) / 2
            dilations = [dilation * (k - 1) // 2 for k in kernels]
            kernels = [3] * len(kernels)
        else:
            dilations = [dilation] * len(kernels)
        self.split_input = split_input
        self.n_paths = len(kernels)
        path_in = in_channels // self.n_paths if split_input else in_channels
        groups = min(out_channels, groups)
        self.paths = nn.ModuleList(ConvBnRelu(path_in, out_channels, k, stride, d, groups) for k, d in zip(kernels, dilations))
        width = rd_channels or round_to_multiple(out_channels * rd_ratio, rd_divisor)
        self.attn = PathAttention(out_channels, self.n_paths, width)

    def forward(self, x):
        if self.split_input:
            inputs = torch.chunk(x, self.n_paths, dim=1)
        else:
            inputs = [x] * self.n_paths
        stacked = torch.stack([path(xi) for path, xi in zip(self.paths, inputs)], dim=1)
        return (stacked * self.attn(stacked)).sum(1)


def write_safetensors(path, tensors, metadata):
    header, blobs, offset = {}, [], 0
    for key in sorted(tensors):
        data = tensors[key].detach().contiguous().float().numpy().tobytes()
        header[key] = {"dtype": "F32", "shape": list(tensors[key].shape), "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    header["__metadata__"] = {k: str(v) for k, v in metadata.items()}
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * ((8 - len(text) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for data in blobs:
            f.write(data)


def make(name, config, shape, mode, seed, outdir):
    torch.manual_seed(seed)
    block = SelectiveKernel(**config)
    # Non-trivial parameters and running stats, rounded to float32 so that the C# side starts from the same numbers.
    for p in block.parameters():
        p.data = (torch.randn_like(p) * 0.3).float().double()
    for key, buf in block.named_buffers():
        if key.endswith("running_var"):
            buf.data = (torch.rand_like(buf) + 0.5).float().double()
        elif key.endswith("running_mean"):
            buf.data = (torch.randn_like(buf) * 0.1).float().double()
    block = block.double().train(mode == "train")
    stats_before = {k: b.clone() for k, b in block.named_buffers() if b.dtype.is_floating_point}
    x = torch.randn(*shape).float().double().requires_grad_(True)
    y = block(x)
    grad_y = torch.randn_like(y).float().double()
    (y * grad_y).sum().backward()
    out = {"x": x, "grad_y": grad_y, "y": y, "grad_x": x.grad}
    for key, p in block.named_parameters():
        out["param." + key] = p
        out["grad." + key] = p.grad
    out.update({"param." + k: b for k, b in stats_before.items()})
    if mode == "train":
        out.update({"updated." + k: b for k, b in block.named_buffers() if k.endswith(("running_mean", "running_var"))})
    path = os.path.join(outdir, name + ".safetensors")
    write_safetensors(path, out, {"block": "sk", "config": json.dumps(config), "mode": mode})
    print(name, os.path.getsize(path), "bytes", {k: list(v.shape) for k, v in out.items() if not k.startswith(("param.", "grad."))})


CASES = [
    ("sk", dict(in_channels=16, out_channels=32, kernel_size=[3, 5]), (2, 16, 6, 6), "train"),
    ("sk_s2_whole_input", dict(in_channels=8, out_channels=16, stride=2, groups=2, split_input=False, rd_channels=8), (3, 8, 7, 7), "eval"),
]

if __name__ == "__main__":
    outdir = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "testdata", "blocks")
    torch.set_default_dtype(torch.float64)
    for i, (name, config, shape, mode) in enumerate(CASES):
        make(name, config, shape, mode, 2000 + i, outdir)
