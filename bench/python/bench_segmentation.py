#!/usr/bin/env python3
"""PyTorch's side of ContextNets.Bench `segmentation`, driven line by line (the `models` protocol) so that both sides
alternate under the same machine load.

Models: torchvision 0.14's deeplabv3_resnet50 and fcn_resnet50 (21 classes, no aux head, random weights: weights=None,
weights_backbone=None), in eval mode under no_grad, NCHW, on images [BS, 3, 512, 512]; the output is `out`, the
scores upsampled to 512x512.
Protocol (one command per stdin line, one JSON line per answer):
  load NAME            build the model, answer {"params": N}
  infer BS REPS        the REPS times in ms of one forward on BS images
Usage: bench_segmentation.py THREADS
"""
import json
import os
import sys

import torch
from torchvision.models import segmentation

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bench_models import timed  # noqa: E402

SIDE = 512


def main():
    torch.set_num_threads(int(sys.argv[1]))
    torch.manual_seed(0)
    model = None
    for line in sys.stdin:
        what, *args = line.split()
        if what == "load":
            model = getattr(segmentation, args[0])(weights=None, weights_backbone=None, num_classes=21, aux_loss=False).eval()
            print(json.dumps({"params": sum(p.numel() for p in model.parameters())}), flush=True)
            continue
        if what != "infer":
            sys.exit(f"bench_segmentation.py: unknown command {what}")
        bs, reps = int(args[0]), int(args[1])
        images = torch.rand(bs, 3, SIDE, SIDE, generator=torch.Generator().manual_seed(1))

        def forward():
            with torch.no_grad():
                model(images)["out"]
        print(json.dumps(timed(forward, reps)), flush=True)


if __name__ == "__main__":
    main()
