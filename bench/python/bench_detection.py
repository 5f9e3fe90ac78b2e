#!/usr/bin/env python3
"""PyTorch's side of ContextNets.Bench `detection`, driven line by line (the `models` protocol) so that both sides
alternate under the same machine load.

Models: torchvision 0.14's Mask R-CNN R50-FPN as maskrcnn_resnet50_fpn builds it for pretrained weights
(FrozenBatchNorm2d body, three trainable stages, 91 classes), with random weights:
  maskrcnn_infer   min size 800, max 1333: eval mode under no_grad on one image [3, 800, 1067];
  maskrcnn_train   min and max size 320: train mode, the five losses summed and backward, zero_grad (no optimizer
                   step), on BS images [3, 320, 320] with two objects each (boxes and box-shaped masks).
Protocol (one command per stdin line, one JSON line per answer):
  load NAME            build the model, answer {"params": N}
  infer BS REPS        the REPS times in ms of one detection call on BS images
  train BS REPS        the REPS times in ms of one training step on BS images
Usage: bench_detection.py THREADS
"""
import json
import os
import sys

import torch
import torchvision
from torchvision.models.detection import MaskRCNN
from torchvision.models.detection.backbone_utils import _resnet_fpn_extractor
from torchvision.ops.misc import FrozenBatchNorm2d

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bench_models import timed  # noqa: E402

SIZES = {"maskrcnn_infer": (800, 1333, (800, 1067)), "maskrcnn_train": (320, 320, (320, 320))}


def build(name):
    min_size, max_size, _ = SIZES[name]
    body = torchvision.models.resnet50(weights=None, norm_layer=FrozenBatchNorm2d)
    return MaskRCNN(_resnet_fpn_extractor(body, 3), num_classes=91, min_size=min_size, max_size=max_size)


def targets(bs, h, w):
    result = []
    for i in range(bs):
        boxes = torch.tensor([[20.0 + i, 30.0, 140.0, 170.0], [150.0, 60.0 + i, 300.0, 260.0]])
        masks = torch.zeros(2, h, w, dtype=torch.uint8)
        for k, (x1, y1, x2, y2) in enumerate(boxes.int().tolist()):
            masks[k, y1:y2, x1:x2] = 1
        result.append({"boxes": boxes, "labels": torch.tensor([3, 17]), "masks": masks})
    return result


def main():
    torch.set_num_threads(int(sys.argv[1]))
    torch.manual_seed(0)
    model, name = None, None
    for line in sys.stdin:
        what, *args = line.split()
        if what == "load":
            name = args[0]
            model = build(name)
            print(json.dumps({"params": sum(p.numel() for p in model.parameters())}), flush=True)
            continue
        bs, reps = int(args[0]), int(args[1])
        h, w = SIZES[name][2]
        images = [torch.rand(3, h, w, generator=torch.Generator().manual_seed(i)) for i in range(bs)]
        if what == "infer":
            model.eval()

            def forward():
                with torch.no_grad():
                    model(images)
            print(json.dumps(timed(forward, reps)), flush=True)
        elif what == "train":
            model.train()
            t = targets(bs, h, w)

            def step():
                sum(model(images, t).values()).backward()
                model.zero_grad()
            print(json.dumps(timed(step, reps)), flush=True)
        else:
            sys.exit(f"bench_detection.py: unknown command {what}")


if __name__ == "__main__":
    main()
