#!/usr/bin/env python3
"""Ground truth for ContextNets' Mask R-CNN parity tests, stage by stage.

Builds torchvision 0.14's Mask R-CNN with FPN as maskrcnn_resnet50_fpn does (FrozenBatchNorm2d in a ResNet-50 body,
three trainable layers, LastLevelMaxPool), with random weights scaled so that every stage carries signal (unit-scale
head weights, calibrated BatchNorm statistics, as make_torchvision_case.py makes them), and small images. Writes:

  NAME.safetensors       the state_dict under torchvision's keys;
  NAME.case.safetensors  `x` (one image [3, H, W] in [0, 1]), `batch` (the transformed, padded batch),
                         `level.0`..`level.3`, `level.pool` (the FPN outputs), `proposals` (the RPN's, eval mode),
                         `box.logits` and `box.codes` (the box predictor on those proposals), and the final
                         `boxes`, `scores`, `labels` (int64) and `masks` [K, 1, H, W], as model([x]) returns them.

Everything runs in float32, as torchvision's detector does: the discrete steps (top-k, NMS, thresholds) are part of
what is compared, and float64 would move them.

Usage: make_maskrcnn_case.py NAME OUT_DIR [--size 72x90] [--min-size 64] [--max-size 96] [--classes 5] [--seed 0]
NAME is maskrcnn_resnet50_fpn. Needs Debian's python3-torch and python3-torchvision; nothing is downloaded.
"""
import argparse
import math
import os
import sys

import torch
import torch.nn as nn
import torchvision
from torchvision.models.detection import MaskRCNN
from torchvision.models.detection.backbone_utils import _resnet_fpn_extractor
from torchvision.ops.misc import FrozenBatchNorm2d

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from make_torchvision_case import make_batchnorm_nontrivial, write_safetensors  # noqa: E402


def body(gen, size):
    """A ResNet-50 whose BatchNorm statistics come from real batches, moved into FrozenBatchNorm2d layers."""
    calibrated = torchvision.models.resnet50(weights=None)
    make_batchnorm_nontrivial(calibrated, size, gen)
    frozen = torchvision.models.resnet50(weights=None, norm_layer=FrozenBatchNorm2d)
    frozen.load_state_dict(calibrated.state_dict())
    return frozen


def scale_heads(model, gen):
    """Unit-scale weights in the FPN, RPN and RoI heads (torchvision's own init gives near-constant RPN outputs)."""
    with torch.no_grad():
        for name, module in model.named_modules():
            if name.startswith("backbone.body") or not isinstance(module, (nn.Conv2d, nn.ConvTranspose2d, nn.Linear)):
                continue
            w = module.weight
            fan_in = w.shape[0] * w[0, 0].numel() if isinstance(module, nn.ConvTranspose2d) else w[0].numel()
            # Box codes an order smaller, so that proposals stay near their anchors instead of all covering the image,
            # and objectness too, so that its sigmoid does not saturate into ties at 1.
            gain = 0.1 if name.endswith("bbox_pred") or name.endswith("cls_logits") else 1.0
            w.copy_(torch.randn(w.shape, generator=gen) * gain / math.sqrt(fan_in))
            module.bias.copy_(torch.randn(module.bias.shape, generator=gen) * 0.1)


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("name")
    p.add_argument("out_dir")
    p.add_argument("--size", default="72x90")
    p.add_argument("--min-size", type=int, default=64)
    p.add_argument("--max-size", type=int, default=96)
    p.add_argument("--classes", type=int, default=5)
    p.add_argument("--seed", type=int, default=0)
    a = p.parse_args()
    if a.name != "maskrcnn_resnet50_fpn":
        sys.exit(f"make_maskrcnn_case: unknown model '{a.name}'")
    h, w = (int(v) for v in a.size.split("x"))

    torch.manual_seed(a.seed)
    gen = torch.Generator().manual_seed(a.seed)
    backbone = _resnet_fpn_extractor(body(gen, 64), 3)
    model = MaskRCNN(backbone, num_classes=a.classes, min_size=a.min_size, max_size=a.max_size)
    scale_heads(model, gen)
    model.eval()
    # A smooth image (a blurred noise field) so that the detector sees structure, not only pixel noise.
    noise = torch.rand(1, 3, h // 6 + 2, w // 6 + 2, generator=gen)
    x = torch.nn.functional.interpolate(noise, size=(h, w), mode="bilinear", align_corners=False)[0].clamp(0, 1)

    with torch.no_grad():
        images, _ = model.transform([x])
        features = model.backbone(images.tensors)
        proposals, _ = model.rpn(images, features)
        pooled = model.roi_heads.box_roi_pool(features, proposals, images.image_sizes)
        logits, codes = model.roi_heads.box_predictor(model.roi_heads.box_head(pooled))
        out = model([x])[0]

    case = {"x": x, "batch": images.tensors, "proposals": proposals[0], "box.logits": logits, "box.codes": codes,
            "boxes": out["boxes"], "scores": out["scores"], "labels": out["labels"], "masks": out["masks"]}
    for k, v in features.items():
        case["level." + k] = v
    os.makedirs(a.out_dir, exist_ok=True)
    write_safetensors(os.path.join(a.out_dir, a.name + ".safetensors"), model.state_dict())
    write_safetensors(os.path.join(a.out_dir, a.name + ".case.safetensors"), case)
    print(f"{a.name}: {len(proposals[0])} proposals, {len(out['boxes'])} detections; "
          + ", ".join(f"level {k} std {v.std():.3g}" for k, v in features.items()))


if __name__ == "__main__":
    main()
