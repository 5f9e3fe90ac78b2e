"""Makes the small JPEG fixtures and what PIL decodes them to (raw HWC bytes), for ImageDecoderTests.

Run with Debian's python3 (python3-pil): python3 make_images.py
"""
import numpy as np
from PIL import Image

yy, xx = np.mgrid[0:12, 0:16]
rgb = np.stack([xx * 16, yy * 20, (xx + yy) * 9], axis=-1).clip(0, 255).astype(np.uint8)
Image.fromarray(rgb).save("rgb.jpg", quality=90)
Image.fromarray((xx * 15 + yy * 2).astype(np.uint8)).save("gray.jpg", quality=90)
Image.fromarray(rgb).save("rgb_progressive.jpg", quality=85, progressive=True)
for name in ["rgb", "gray", "rgb_progressive"]:
    decoded = np.asarray(Image.open(name + ".jpg"))
    decoded.tofile(name + ".expected")
    print(name, decoded.shape)
