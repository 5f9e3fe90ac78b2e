#!/usr/bin/env python3
"""Small torch.save files for the .pth reader's tests, written by Debian's PyTorch, and what they must read as.

Writes into OUT_DIR:
  dtypes.pth         float32, float16, bfloat16, float64 and int64 tensors (values exact in every type);
  views.pth          saved views that keep their whole storage: a transpose, an offset slice, a strided slice,
                     a permuted 4-D map, a channels-last conv weight, an expand()ed row (stride 0), a scalar, an
                     empty tensor;
  shared.pth         three tensors over one storage (two slices and the base), and one tensor under two keys;
  wrapped.pth        a training checkpoint: {'state_dict', 'optimizer' (SGD momentum state), 'meta', 'epoch'};
  proto4.pth         views.pth's tensors pickled with protocol 4 (FRAME, MEMOIZE, STACK_GLOBAL, ...);
  legacy.pth         views.pth's tensors in the format before PyTorch 1.6 (_use_new_zipfile_serialization=False);
  legacy_wrapped.pth wrapped.pth in the legacy format;
  module.pth         torch.save of a whole nn.Module, which pickles classes and must be refused;
  numpy_meta.pth     a checkpoint whose meta holds a numpy scalar (a numpy global), which must be refused;
  expected.safetensors  for every readable file F and key K, "F/K" = the tensor's values (contiguous float64).
Usage: make_pth_cases.py OUT_DIR
"""
import collections
import os
import sys

import numpy as np
import torch
import torch.nn as nn

from make_torchvision_case import write_safetensors


def dtypes():
    base = torch.tensor([[0.5, -1.25, 3.0], [-2.0, 0.125, 7.5]])
    return collections.OrderedDict([
        ("f32", base.clone()),
        ("f16", base.half()),
        ("bf16", base.bfloat16()),
        ("f64", base.double()),
        ("i64", torch.tensor([[3, -4, 5], [1 << 20, 0, -7]], dtype=torch.int64)),
        ("num_batches_tracked", torch.tensor(12, dtype=torch.int64)),
    ])


def views():
    g = torch.Generator().manual_seed(1)
    m = torch.randn(5, 7, generator=g)
    x = torch.randn(2, 3, 4, 5, generator=g)
    conv = torch.randn(6, 3, 3, 3, generator=g)
    return collections.OrderedDict([
        ("transposed", m.t()),
        ("offset", m[2:, 1:4]),
        ("strided", m[:, ::2]),
        ("permuted", x.permute(0, 2, 3, 1)),
        ("channels_last", conv.to(memory_format=torch.channels_last)),
        ("expanded", torch.arange(3.0).expand(4, 3)),
        ("scalar", torch.tensor(2.5)),
        ("empty", torch.zeros(0, 3)),
        ("half_view", m.half()[1:, ::3]),
    ])


def shared():
    base = torch.arange(12.0).reshape(3, 4)
    tied = torch.linspace(-1, 1, 6)
    return collections.OrderedDict([
        ("first_row", base[0]),
        ("last_rows", base[1:]),
        ("base", base),
        ("tied.a", tied),
        ("tied.b", tied),
    ])


def wrapped():
    torch.manual_seed(0)
    model = nn.Sequential(nn.Conv2d(3, 4, 3), nn.BatchNorm2d(4), nn.ReLU(), nn.Flatten(), nn.Linear(4 * 4 * 4, 2))
    opt = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    model(torch.randn(2, 3, 6, 6)).sum().backward()
    opt.step()
    meta = {"epoch": 3, "lr": 0.1, "classes": ("cat", "dog"), "note": None, "big": 1 << 40, "negative": -5, "flags": [True, False]}
    return {"meta": meta, "state_dict": model.state_dict(), "optimizer": opt.state_dict(), "epoch": 3}


def readable_tensors(obj):
    if isinstance(obj, dict) and "state_dict" in obj:
        obj = obj["state_dict"]
    return {k: v for k, v in obj.items() if isinstance(v, torch.Tensor)}


def main():
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    files = {
        "dtypes.pth": (dtypes(), {}),
        "views.pth": (views(), {}),
        "shared.pth": (shared(), {}),
        "wrapped.pth": (wrapped(), {}),
        "proto4.pth": (views(), {"pickle_protocol": 4}),
        "legacy.pth": (views(), {"_use_new_zipfile_serialization": False}),
        "legacy_wrapped.pth": (wrapped(), {"_use_new_zipfile_serialization": False}),
    }
    expected = {}
    for name, (obj, kwargs) in files.items():
        torch.save(obj, os.path.join(out, name), **kwargs)
        for key, t in readable_tensors(obj).items():
            expected[f"{name}/{key}"] = t.detach().double().contiguous()
    write_safetensors(os.path.join(out, "expected.safetensors"), expected)

    torch.save(nn.Sequential(nn.Conv2d(1, 2, 1)), os.path.join(out, "module.pth"))
    torch.save({"state_dict": dtypes(), "meta": {"best": np.float64(0.5)}}, os.path.join(out, "numpy_meta.pth"))


if __name__ == "__main__":
    main()
