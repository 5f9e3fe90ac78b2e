#!/usr/bin/python3
"""Joins the PNGs of `ctxnet segment RUN --val-images N --out DIR` (one DIR per run) into one picture for
docs/segmentation.md: a row per val image (the image, its ground truth, then each run's prediction), every tile
resized to SIDE px (nearest neighbour, so that no class colour is blended).

usage: segmentation-pictures.py OUT.png SIDE N DIR...
"""
import sys
from PIL import Image

out, side, count, dirs = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4:]
columns = 2 + len(dirs)
sheet = Image.new("RGB", (columns * side, count * side), "white")
for row in range(count):
    tiles = [f"{dirs[0]}/val{row}.png", f"{dirs[0]}/val{row}.truth.png"] + [f"{d}/val{row}.overlay.png" for d in dirs]
    for column, path in enumerate(tiles):
        sheet.paste(Image.open(path).convert("RGB").resize((side, side), Image.NEAREST), (column * side, row * side))
sheet.save(out, optimize=True)
