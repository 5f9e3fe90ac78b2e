"""Makes augment.json: torchvision 0.14 / PIL 9.4 results that tests/ContextNets.Tests/Data/TorchvisionVectorTests.cs checks.

Run with Debian's python3 (python3-torchvision, python3-pil): python3 make_vectors.py
"""
import base64
import json

import numpy as np
import torch
import torchvision.transforms.functional as F
from PIL import Image
from torchvision.transforms import InterpolationMode
from torchvision.transforms.autoaugment import _apply_op

rng = np.random.default_rng(5)
H, W = 11, 13


def b64(a):
    return base64.b64encode(np.ascontiguousarray(a, dtype=np.uint8).tobytes()).decode()


# A smooth gradient plus noise, so that histograms have structure and geometric moves are visible.
yy, xx = np.mgrid[0:H, 0:W]
base = (xx * 9 + yy * 7) % 256
rgb = np.stack([base, 255 - base, (base * 3) % 256], axis=-1) + rng.integers(-20, 21, size=(H, W, 3))
rgb = np.clip(rgb, 0, 255).astype(np.uint8)
gray = np.clip(base + rng.integers(-30, 31, size=(H, W)), 0, 255).astype(np.uint8)
images = {"rgb": rgb, "gray": gray}
# Equalize changes nothing below 256 pixels (its step is 0), so it gets a larger image too.
by, bx = np.mgrid[0:32, 0:40]
big = np.clip(np.stack([bx * 5 + by, by * 6, (bx * by) % 200], axis=-1) + rng.integers(-9, 10, size=(32, 40, 3)), 0, 255).astype(np.uint8)
images["big_rgb"] = big
images["big_gray"] = np.asarray(Image.fromarray(big).convert("L"))
big_ops = [("Equalize", [0.0]), ("AutoContrast", [0.0]), ("Sharpness", [0.6]), ("Rotate", [12.0, -23.3]), ("Contrast", [-0.3]),
           ("ShearX", [0.27, -0.3]), ("ShearY", [0.2])]

ops = [
    ("ShearX", [0.3, -0.3, 0.1]), ("ShearY", [0.3, -0.2]),
    ("TranslateX", [3.0, -4.7]), ("TranslateY", [2.0, -3.2]),
    ("Rotate", [30.0, -17.5, 90.0]),
    ("Brightness", [0.5, -0.4]), ("Color", [0.9, -0.6]), ("Contrast", [0.7, -0.5]), ("Sharpness", [0.9, -0.8]),
    ("Posterize", [4.0, 6.0]), ("Solarize", [128.0, 255.0, 0.0]),
    ("AutoContrast", [0.0]), ("Equalize", [0.0]), ("Invert", [0.0]),
]

cases = []
for name, img in images.items():
    pil = Image.fromarray(img)
    for op, mags in (big_ops if name.startswith("big") else ops):
        for m in mags:
            out = np.asarray(_apply_op(pil, op, m, interpolation=InterpolationMode.NEAREST, fill=None))
            cases.append({"image": name, "op": op, "magnitude": m, "out": b64(out)})

resizes = []
for name, img in [(k, v) for k, v in images.items() if not k.startswith("big")]:
    t = torch.from_numpy(img if img.ndim == 3 else img[:, :, None]).permute(2, 0, 1).contiguous()
    for (oh, ow) in [(5, 7), (20, 17), (11, 6), (3, 3)]:
        out = F.resize(t, [oh, ow], interpolation=InterpolationMode.BILINEAR, antialias=True)
        resizes.append({"image": name, "height": oh, "width": ow, "out": b64(out.permute(1, 2, 0).numpy())})

magnitudes = {
    "linspace_0_0.3_10": torch.linspace(0.0, 0.3, 10).tolist(),
    "linspace_0_0.9_31": torch.linspace(0.0, 0.9, 31).tolist(),
    "linspace_255_0_10": torch.linspace(255.0, 0.0, 10).tolist(),
    "posterize_10": (8 - (torch.arange(10) / ((10 - 1) / 4)).round().int()).tolist(),
    "posterize_31": (8 - (torch.arange(31) / ((31 - 1) / 4)).round().int()).tolist(),
}

json.dump({"images": {k: {"height": v.shape[0], "width": v.shape[1], "pixels": b64(v)} for k, v in images.items()},
           "ops": cases, "resize": resizes, "magnitudes": magnitudes}, open("augment.json", "w"), indent=0)
print(len(cases), "op cases,", len(resizes), "resizes")
