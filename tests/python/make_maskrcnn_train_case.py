#!/usr/bin/env python3
"""Ground truth for ContextNets' Mask R-CNN training losses: torchvision 0.14's five losses in train mode.

The detector is make_maskrcnn_case.py's (ResNet-50 FPN body with FrozenBatchNorm2d, random weights with calibrated
statistics, unit-scale heads), with both balanced samplers set to keep every candidate (a batch per image far above
the anchor and proposal counts), so that torch's random draws play no part and the sample is a function of the
inputs alone. Two images whose sizes the transform keeps (64x80 and 64x72, min size 64, max size 96): the first with
three objects (boxes, elliptic masks, labels), the second with none. Writes:

  NAME.safetensors       the state_dict under torchvision's keys;
  NAME.case.safetensors  `x.0`, `x.1` (images [3, H, W] in [0, 1]), `boxes.0` [3, 4], `labels.0` (int64), `masks.0`
                         (0/1 as float32, [3, H, W]); the losses `loss_classifier`, `loss_box_reg`, `loss_mask`,
                         `loss_objectness`, `loss_rpn_box_reg` (scalars); `grad.KEY`, the gradient of their sum for
                         a few trainable parameters from every part of the detector; and `grad64.KEY`, the same from a
                         float64 copy of the detector, which measures how far float32 itself strays on each.

Usage: make_maskrcnn_train_case.py NAME OUT_DIR [--seed 0]. NAME is maskrcnn_resnet50_fpn. Runs in float32.
"""
import argparse
import copy
import os
import sys

import torch
from torchvision.models.detection import MaskRCNN
from torchvision.models.detection.backbone_utils import _resnet_fpn_extractor

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from make_maskrcnn_case import body, scale_heads  # noqa: E402
from make_torchvision_case import write_safetensors  # noqa: E402

GRADIENTS = ["rpn.head.cls_logits.weight", "rpn.head.bbox_pred.weight", "roi_heads.box_predictor.cls_score.weight",
             "roi_heads.box_predictor.bbox_pred.weight", "roi_heads.mask_predictor.mask_fcn_logits.weight",
             "roi_heads.mask_head.0.0.weight", "backbone.fpn.layer_blocks.0.0.weight", "backbone.body.layer4.2.conv3.weight"]


def smooth_image(gen, h, w):
    noise = torch.rand(1, 3, h // 6 + 2, w // 6 + 2, generator=gen)
    return torch.nn.functional.interpolate(noise, size=(h, w), mode="bilinear", align_corners=False)[0].clamp(0, 1)


def objects(gen, h, w, count):
    """Boxes inside the image with an ellipse inscribed in each as its mask."""
    boxes, masks = [], []
    ys, xs = torch.meshgrid(torch.arange(h, dtype=torch.float32) + 0.5, torch.arange(w, dtype=torch.float32) + 0.5, indexing="ij")
    for _ in range(count):
        bw, bh = (12 + torch.rand(2, generator=gen) * 28).tolist()
        x1 = float(torch.rand(1, generator=gen)) * (w - bw)
        y1 = float(torch.rand(1, generator=gen)) * (h - bh)
        boxes.append([x1, y1, x1 + bw, y1 + bh])
        cx, cy = x1 + bw / 2, y1 + bh / 2
        masks.append((((xs - cx) / (bw / 2)) ** 2 + ((ys - cy) / (bh / 2)) ** 2 <= 1).to(torch.uint8))
    return torch.tensor(boxes, dtype=torch.float32), torch.stack(masks)


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("name")
    p.add_argument("out_dir")
    p.add_argument("--seed", type=int, default=0)
    a = p.parse_args()
    if a.name != "maskrcnn_resnet50_fpn":
        sys.exit(f"make_maskrcnn_train_case: unknown model '{a.name}'")
    torch.manual_seed(a.seed)
    gen = torch.Generator().manual_seed(a.seed)
    backbone = _resnet_fpn_extractor(body(gen, 64), 3)
    everything = 1 << 20
    model = MaskRCNN(backbone, num_classes=5, min_size=64, max_size=96,
                     rpn_batch_size_per_image=everything, box_batch_size_per_image=everything)
    scale_heads(model, gen)
    model.train()
    x0, x1 = smooth_image(gen, 64, 80), smooth_image(gen, 64, 72)
    boxes, masks = objects(gen, 64, 80, 3)
    labels = torch.tensor([1, 3, 4], dtype=torch.int64)
    targets = [{"boxes": boxes, "labels": labels, "masks": masks},
               {"boxes": torch.zeros(0, 4), "labels": torch.zeros(0, dtype=torch.int64), "masks": torch.zeros(0, 64, 72, dtype=torch.uint8)}]
    exact = copy.deepcopy(model).double()
    losses = model([x0, x1], targets)
    sum(losses.values()).backward()
    params = dict(model.named_parameters())
    exact_losses = exact([x0.double(), x1.double()], [{**t, "boxes": t["boxes"].double()} for t in targets])
    sum(exact_losses.values()).backward()
    exact_params = dict(exact.named_parameters())
    case = {"x.0": x0, "x.1": x1, "boxes.0": boxes, "labels.0": labels, "masks.0": masks.float()}
    case.update({k: v.detach() for k, v in losses.items()})
    case.update({"grad." + k: params[k].grad for k in GRADIENTS})
    case.update({"grad64." + k: exact_params[k].grad.float() for k in GRADIENTS})
    os.makedirs(a.out_dir, exist_ok=True)
    write_safetensors(os.path.join(a.out_dir, a.name + ".safetensors"), model.state_dict())
    write_safetensors(os.path.join(a.out_dir, a.name + ".case.safetensors"), case)
    print(f"{a.name}: " + ", ".join(f"{k} {float(v):.6g}" for k, v in losses.items()))


if __name__ == "__main__":
    main()
