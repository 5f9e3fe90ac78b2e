"""Criss-cross attention (CCNet, Huang et al. ICCV 2019) test vectors, in the format of shared/reference/gen_vectors.py.

    /usr/bin/python3 tests/python/gen_cca_vectors.py [OUTDIR]   (default: tests/testdata/cca)
    /usr/bin/python3 tests/python/gen_cca_vectors.py --check FILE   (recompute FILE's expected values; prints the worst error)

The block is written from the paper's formula, with plain index loops over the criss-cross path rather than the
official module's permutes: position u = (i, j) attends over the H + W - 1 positions of its column and row, with ONE
softmax over their union. The position itself lies on both; the official implementation adds -inf to it in the
column direction, so it is counted once, through the row. q, k = 1x1 convs to C // 8, v = 1x1 conv to C, all with
bias; y = gamma * aggregate + x, and the block is applied `recurrence` times with the same weights.
Each file holds x, grad_y, y, grad_x, param.*, grad.* (of sum(y * grad_y)), computed in float64 from float32 values;
metadata block = "cca", config = {"channels", "recurrence"}, mode = train | eval (the block has no mode-dependent
part, so both must agree).
"""
import json
import os
import struct
import sys

import torch
import torch.nn as nn

from gen_sk_vector import write_safetensors


class CrissCross(nn.Module):
    def __init__(self, channels, recurrence=2):
        super().__init__()
        self.recurrence = recurrence
        self.query_conv = nn.Conv2d(channels, channels // 8, 1)
        self.key_conv = nn.Conv2d(channels, channels // 8, 1)
        self.value_conv = nn.Conv2d(channels, channels, 1)
        self.gamma = nn.Parameter(torch.zeros(1))

    def step(self, x):
        n, c, h, w = x.shape
        q, k, v = self.query_conv(x), self.key_conv(x), self.value_conv(x)
        rows = []
        for i in range(h):
            cols = []
            for j in range(w):
                # The criss-cross path of (i, j): its column without itself, then its whole row.
                column = [(a, j) for a in range(h) if a != i]
                path = column + [(i, b) for b in range(w)]
                keys = torch.stack([k[:, :, a, b] for a, b in path], 2)      # n x c' x (H + W - 1)
                values = torch.stack([v[:, :, a, b] for a, b in path], 2)    # n x c x (H + W - 1)
                attn = torch.softmax((q[:, :, i, j].unsqueeze(2) * keys).sum(1), 1)
                cols.append((values * attn.unsqueeze(1)).sum(2))
            rows.append(torch.stack(cols, 2))
        return self.gamma * torch.stack(rows, 2) + x

    def forward(self, x):
        for _ in range(self.recurrence):
            x = self.step(x)
        return x


def load_safetensors(path):
    with open(path, "rb") as f:
        raw = f.read()
    size = struct.unpack("<Q", raw[:8])[0]
    header = json.loads(raw[8:8 + size])
    meta = header.pop("__metadata__")
    out = {}
    for key, info in header.items():
        a, b = info["data_offsets"]
        out[key] = torch.frombuffer(bytearray(raw[8 + size + a:8 + size + b]), dtype=torch.float32).reshape(info["shape"]).double()
    return out, meta


def run(cfg, params, x, gy, mode):
    """Forward and backward in float64: y, grad_x and the parameter gradients."""
    m = CrissCross(**cfg).double()
    m.load_state_dict(params)
    m.train(mode == "train")
    x = x.clone().requires_grad_(True)
    y = m(x)
    (y * gy).sum().backward()
    t = {"y": y, "grad_x": x.grad}
    for name, p in m.named_parameters():
        t["grad." + name] = p.grad
    return t


def case(cfg, shape, mode, seed):
    torch.manual_seed(seed)
    m = CrissCross(**cfg)
    # Random non-zero parameters, gamma included: at its zero init the block is the identity and tests nothing.
    params = {name: (torch.randn_like(p) * 0.3).float().double() for name, p in m.named_parameters()}
    x = torch.randn(*shape).float().double()
    gy = torch.randn(*shape).float().double()
    t = {"x": x, "grad_y": gy}
    t.update({"param." + k: v for k, v in params.items()})
    t.update(run(cfg, params, x, gy, mode))
    return t, {"block": "cca", "config": json.dumps(cfg), "mode": mode}


CASES = [
    ("cca_r1_square", dict(channels=16, recurrence=1), (2, 16, 5, 5), "train"),
    ("cca_r2_wide", dict(channels=32, recurrence=2), (2, 32, 4, 9), "eval"),
    ("cca_r3_tall", dict(channels=24, recurrence=3), (1, 24, 8, 3), "train"),
    ("cca_r2_row", dict(channels=16, recurrence=2), (3, 16, 1, 6), "eval"),
    ("cca_r2_c64", dict(channels=64, recurrence=2), (2, 64, 7, 7), "train"),
]

if __name__ == "__main__":
    torch.set_default_dtype(torch.float64)
    if sys.argv[1:2] == ["--check"]:
        t, meta = load_safetensors(sys.argv[2])
        params = {k[len("param."):]: v for k, v in t.items() if k.startswith("param.")}
        got = run(json.loads(meta["config"]), params, t["x"], t["grad_y"], meta["mode"])
        for key, value in sorted(got.items()):
            err = ((value - t[key]).abs() / (1e-5 + 1e-4 * t[key].abs())).max().item()
            print(f"{key}: worst error {err:.3f}x the tolerance (1e-5 + 1e-4|e|)")
        sys.exit(0)
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "..", "testdata", "cca")
    os.makedirs(out, exist_ok=True)
    for i, (name, cfg, shape, mode) in enumerate(CASES):
        t, meta = case(cfg, shape, mode, seed=2000 + i)
        write_safetensors(os.path.join(out, name + ".safetensors"), t, meta)
        print(name, meta, list(shape))
