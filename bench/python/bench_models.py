#!/usr/bin/env python3
"""PyTorch's side of ContextNets.Bench `models`: whole networks, driven line by line from the C# bench so that both
sides alternate under the same machine load.

Models: torchvision's resnet50, and gcresnet50, seresnet50 and resnest50d as tests/python/make_zoo_case.py defines
them (the definitions the logits parity tests check against ContextNets).
Protocol (one command per stdin line, one JSON line per answer):
  load NAME            build the model (random weights), answer {"params": N}
  infer BS REPS        eval mode, torch.no_grad, NCHW: answer the REPS times in ms of one forward of BS images
  infer_cl BS REPS     the same with the model and input in channels_last
  train BS REPS        one SGD step (momentum 0.9) on cross-entropy: forward, backward, step, zero_grad
Usage: bench_models.py THREADS
"""
import json
import os
import sys
import time

import torch
import torch.nn.functional as F
import torchvision

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tests", "python"))
from make_zoo_case import ResNeStD, gcresnet50, seresnet50  # noqa: E402

MODELS = {
    "resnet50": lambda: torchvision.models.resnet50(weights=None),
    "gcresnet50": gcresnet50,
    "seresnet50": seresnet50,
    "resnest50d": lambda: ResNeStD([3, 4, 6, 3]),
}


def timed(f, reps):
    times = []
    for _ in range(reps):
        t = time.perf_counter()
        f()
        times.append((time.perf_counter() - t) * 1000)
    return times


def main():
    torch.set_num_threads(int(sys.argv[1]))
    torch.manual_seed(0)
    model, optimizer, inputs = None, None, {}
    for line in sys.stdin:
        what, *args = line.split()
        if what == "load":
            model = MODELS[args[0]]()
            optimizer = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
            inputs = {}
            print(json.dumps({"params": sum(p.numel() for p in model.parameters())}), flush=True)
            continue
        bs, reps = int(args[0]), int(args[1])
        x = inputs.setdefault(bs, torch.randn(bs, 3, 224, 224))
        if what in ("infer", "infer_cl"):
            fmt = torch.channels_last if what == "infer_cl" else torch.contiguous_format
            m = model.eval().to(memory_format=fmt)
            xi = x.contiguous(memory_format=fmt)

            def forward():
                with torch.no_grad():
                    m(xi)
            print(json.dumps(timed(forward, reps)), flush=True)
        elif what == "train":
            m = model.train().to(memory_format=torch.contiguous_format)
            y = torch.randint(0, 1000, (bs,))

            def step():
                loss = F.cross_entropy(m(x), y)
                loss.backward()
                optimizer.step()
                optimizer.zero_grad()
            print(json.dumps(timed(step, reps)), flush=True)
        else:
            sys.exit(f"bench_models.py: unknown command {what}")


if __name__ == "__main__":
    main()
