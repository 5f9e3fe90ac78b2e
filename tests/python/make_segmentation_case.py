#!/usr/bin/env python3
"""Ground truth for ContextNets' segmenter parity tests: torchvision 0.14's fcn_resnet50 and deeplabv3_resnet50, and
ccnet_resnet50, torchvision's deeplabv3_resnet50 frame (dilated body, aux head) with its classifier replaced by the
CCNet head of ccnet_head.py (gamma set to 0.7, so that the attention counts; it starts at 0).

NAME is fcn_resnet50, deeplabv3_resnet50 or ccnet_resnet50, with `_aux` appended for the aux head (aux_loss=True). The model is
built by torchvision with random weights (weights=None, weights_backbone=None) and 5 classes, its BatchNorm layers
made non-trivial as make_torchvision_case.py does, and written into OUT_DIR:
  NAME.safetensors       the state_dict under torchvision's keys;
  NAME.case.safetensors  `x` [batch, 3, size, size], and the eval-mode `out` (and `aux`) computed in float64.

Usage: make_segmentation_case.py NAME OUT_DIR [--size 64] [--batch 2] [--seed 0]
"""
import os
import sys

import torch
import torchvision

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from make_torchvision_case import seeded_case, write_safetensors  # noqa: E402
from ccnet_head import RCCAModule  # noqa: E402

CLASSES = 5


def build(name):
    aux = name.endswith("_aux")
    base = name[:-4] if aux else name
    if base not in ("fcn_resnet50", "deeplabv3_resnet50", "ccnet_resnet50"):
        sys.exit(f"make_segmentation_case: unknown model '{name}'")
    if base != "ccnet_resnet50":
        make = getattr(torchvision.models.segmentation, base)
        return make(weights=None, weights_backbone=None, num_classes=CLASSES, aux_loss=aux)
    model = torchvision.models.segmentation.deeplabv3_resnet50(weights=None, weights_backbone=None, num_classes=CLASSES, aux_loss=aux)
    model.classifier = RCCAModule(2048, 512, CLASSES)
    with torch.no_grad():
        model.classifier.cca.gamma.fill_(0.7)
    return model


def main():
    a, model, x, reference = seeded_case(build, __doc__)
    with torch.no_grad():
        result = reference(x.double())
    case = {"x": x, "out": result["out"]}
    if "aux" in result:
        case["aux"] = result["aux"]
    write_safetensors(os.path.join(a.out_dir, a.name + ".safetensors"), model.state_dict())
    write_safetensors(os.path.join(a.out_dir, a.name + ".case.safetensors"), case)


if __name__ == "__main__":
    main()
