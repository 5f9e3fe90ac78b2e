#!/usr/bin/env python3
"""PyTorch's side of ContextNets.Bench `video`, driven line by line (the `models` protocol) so that both sides
alternate under the same machine load.

Models: torchvision's r3d_18 on clips [BS, 3, 16, 112, 112], and i3d_resnet50_nl5 as tests/python/make_video_case.py
writes it from the paper, on clips [BS, 3, 8, 112, 112].
Protocol (one command per stdin line, one JSON line per answer):
  load NAME            build the model (random weights), answer {"params": N}
  infer BS REPS        eval mode, torch.no_grad, NCDHW: the REPS times in ms of one forward
  train BS REPS        training mode: forward, cross-entropy, backward, zero_grad (no optimizer step)
Usage: bench_video.py THREADS
"""
import json
import os
import sys

import torch
import torch.nn.functional as F
import torchvision

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tests", "python"))
from make_video_case import PAPER  # noqa: E402
from bench_models import timed  # noqa: E402

MODELS = {
    "r3d_18": (lambda: torchvision.models.video.r3d_18(weights=None), 16),
    "i3d_resnet50_nl5": (PAPER["i3d_resnet50_nl5"], 8),
}


def main():
    torch.set_num_threads(int(sys.argv[1]))
    torch.manual_seed(0)
    model, frames = None, 0
    for line in sys.stdin:
        what, *args = line.split()
        if what == "load":
            build, frames = MODELS[args[0]]
            model = build()
            print(json.dumps({"params": sum(p.numel() for p in model.parameters())}), flush=True)
            continue
        bs, reps = int(args[0]), int(args[1])
        x = torch.randn(bs, 3, frames, 112, 112)
        if what == "infer":
            m = model.eval()

            def forward():
                with torch.no_grad():
                    m(x)
            print(json.dumps(timed(forward, reps)), flush=True)
        elif what == "train":
            m = model.train()
            y = torch.randint(0, 400, (bs,))

            def step():
                F.cross_entropy(m(x), y).backward()
                m.zero_grad()
            print(json.dumps(timed(step, reps)), flush=True)
        else:
            sys.exit(f"bench_video.py: unknown command {what}")


if __name__ == "__main__":
    main()
