#!/usr/bin/env python3
"""The PyTorch side of the time-to-accuracy benchmark: gc_resnet20 on Fashion-MNIST with ctxnet's recipe.

Same architecture as ContextNets' zoo entry `gc_resnet20` (tests/python/make_pth_zoo_case.py's GcResNet20, whose
logits the .pth parity test matches to ours; a CIFAR ResNet-20 with 1 input channel,
a GC block with attention pooling and add fusion, r 4, after bn2 of every basic block; convs kaiming_normal fan_out,
bn2 zero-initialized, the GC block's last conv zeroed), and the same recipe as `ctxnet train --aug basic`: SGD with
Nesterov momentum 0.9, lr 0.1 at batch 128 (last partial batch dropped), weight decay 5e-4 except on norms and
biases, linear warmup from 1% over 0.2 epochs then a cosine to 0, stepped every update; a random crop with padding
2 and a horizontal flip; normalization by Fashion-MNIST's mean and std; evaluation on the 10,000 test images after
every epoch.

The data stay in memory as one tensor and the augmentation runs on whole batches, which is the fastest input path
PyTorch offers on 2 cores (DataLoader workers would take cores from the training). The clock runs from the first
training step; each epoch's time includes its evaluation, as ctxnet's metrics.csv counts it.

Usage: train_fashion_mnist.py --epochs 20 [--target 0.93] [--threads 2] [--seed 1] [--json OUT.json]
"""
import argparse
import gzip
import json
import math
import os
import resource
import sys
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tests", "python"))
from make_pth_zoo_case import GcBasicBlock, GcResNet20  # noqa: E402  (the network of the .pth parity test)

DATA = os.environ.get("CTXNET_FASHION_MNIST", "/usr/share/datasets/fashion-mnist")
MEAN, STD = 0.2860, 0.3530


def read_idx(name):
    with gzip.open(os.path.join(DATA, name), "rb") as f:
        raw = f.read()
    dims = raw[3]
    shape = [int.from_bytes(raw[4 + 4 * i:8 + 4 * i], "big") for i in range(dims)]
    return torch.from_numpy(np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * dims).reshape(shape).copy())


def init_like_the_zoo(model):
    """ContextNets' initialization: convs kaiming_normal fan_out, BN at 1/0, bn2 of every block at zero, and the GC
    block's conv_attn kaiming_normal fan_in with its last conv zeroed (the block starts as the identity)."""
    for name, m in model.named_modules():
        if isinstance(m, nn.Conv2d) and ".se." not in f".{name}.":
            nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
        elif isinstance(m, nn.BatchNorm2d):
            nn.init.ones_(m.weight)
            nn.init.zeros_(m.bias)
    for block in model.modules():
        if isinstance(block, GcBasicBlock):
            nn.init.zeros_(block.bn2.weight)
            nn.init.kaiming_normal_(block.se.conv_attn.weight, mode="fan_in", nonlinearity="relu")
            nn.init.zeros_(block.se.mlp_add.fc2.weight)
            nn.init.zeros_(block.se.mlp_add.fc2.bias)
    return model


def augment(images, generator):
    """Random crop with padding 2 (zero pixels) and a horizontal flip, per image, on a uint8 batch [B, 28, 28]."""
    b, h, w = images.shape
    padded = F.pad(images, (2, 2, 2, 2))
    dy = torch.randint(0, 5, (b,), generator=generator)
    dx = torch.randint(0, 5, (b,), generator=generator)
    rows = (dy[:, None] + torch.arange(h)[None, :])[:, :, None].expand(b, h, w)
    cols = (dx[:, None] + torch.arange(w)[None, :])[:, None, :].expand(b, h, w)
    out = padded[torch.arange(b)[:, None, None], rows, cols]
    flip = torch.rand(b, generator=generator) < 0.5
    out[flip] = out[flip].flip(2)
    return out


def normalize(images):
    return ((images.float() / 255 - MEAN) / STD).unsqueeze(1)


def lr_at(step, total, warmup, base):
    if step < warmup:
        start = base * 0.01
        return start + (base - start) * step / warmup
    t = min(step - warmup, total - warmup) / (total - warmup)
    return 0.5 * base * (1 + math.cos(math.pi * t))


def evaluate(model, images, labels):
    model.eval()
    correct, loss = 0, 0.0
    with torch.no_grad():
        for i in range(0, len(images), 256):
            logits = model(normalize(images[i:i + 256]))
            loss += F.cross_entropy(logits, labels[i:i + 256], reduction="sum").item()
            correct += (logits.argmax(1) == labels[i:i + 256]).sum().item()
    model.train()
    return loss / len(images), correct / len(images)


def cpu_seconds():
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--epochs", type=int, default=20)
    p.add_argument("--target", type=float, default=None, help="stop after the first epoch at or above this test accuracy")
    p.add_argument("--batch-size", type=int, default=128)
    p.add_argument("--lr", type=float, default=0.1)
    p.add_argument("--warmup-epochs", type=float, default=0.2)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--json", default=None)
    a = p.parse_args()

    torch.set_num_threads(a.threads)
    torch.manual_seed(a.seed)
    generator = torch.Generator().manual_seed(a.seed)
    train_x, train_y = read_idx("train-images-idx3-ubyte.gz"), read_idx("train-labels-idx1-ubyte.gz").long()
    test_x, test_y = read_idx("t10k-images-idx3-ubyte.gz"), read_idx("t10k-labels-idx1-ubyte.gz").long()

    model = init_like_the_zoo(GcResNet20())
    decay = [p for n, p in model.named_parameters() if p.ndim > 1 and not n.endswith("bias")]
    no_decay = [p for n, p in model.named_parameters() if p.ndim <= 1 or n.endswith("bias")]
    opt = torch.optim.SGD([{"params": no_decay, "weight_decay": 0}, {"params": decay, "weight_decay": 5e-4}],
                          lr=a.lr, momentum=0.9, nesterov=True)
    per_epoch = len(train_x) // a.batch_size
    total, warmup = per_epoch * a.epochs, round(a.warmup_epochs * per_epoch)

    result = {"framework": f"pytorch {torch.__version__}", "threads": torch.get_num_threads(), "epochs": a.epochs,
              "batch_size": a.batch_size, "target": a.target, "rows": []}
    step, wall, cpu = 0, time.perf_counter(), cpu_seconds()
    for epoch in range(1, a.epochs + 1):
        started = time.perf_counter()
        order = torch.randperm(len(train_x), generator=generator)
        loss_sum, correct = 0.0, 0
        for b in range(per_epoch):
            idx = order[b * a.batch_size:(b + 1) * a.batch_size]
            x, y = normalize(augment(train_x[idx], generator)), train_y[idx]
            for group in opt.param_groups:
                group["lr"] = lr_at(step, total, warmup, a.lr)
            logits = model(x)
            loss = F.cross_entropy(logits, y)
            if not torch.isfinite(loss):
                sys.exit(f"non-finite loss at step {step}")
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            step += 1
            loss_sum += loss.item()
            correct += (logits.argmax(1) == y).sum().item()
        test_loss, test_acc = evaluate(model, test_x, test_y)
        row = {"epoch": epoch, "train_loss": loss_sum / per_epoch, "train_acc": correct / (per_epoch * a.batch_size),
               "test_loss": test_loss, "test_acc": test_acc, "seconds": time.perf_counter() - started,
               "elapsed": time.perf_counter() - wall, "cpu_elapsed": cpu_seconds() - cpu,
               "load": os.getloadavg()[0]}
        result["rows"].append(row)
        print(json.dumps(row), flush=True)
        if a.json:
            with open(a.json + ".tmp", "w") as f:
                json.dump(result, f, indent=1)
            os.replace(a.json + ".tmp", a.json)
        if a.target is not None and test_acc >= a.target:
            break


if __name__ == "__main__":
    main()
