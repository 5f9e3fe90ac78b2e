"""PyTorch side of the ResNet-50 convolution benchmark.

Times every shape in resnet50_convs.json with Debian's python3-torch, in the
same run as the C# side, so that the ratio is taken on the same machine state.
Usage: /usr/bin/python3 bench_convs.py SHAPES.json [threads] [layout]
layout: nchw (PyTorch's default path), channels_last, or mkldnn (blocked).
Prints one JSON object: {name: {"fwd_ms": .., "fwd_bwd_ms": ..}}.
"""
import json
import sys
import time

import torch
import torch.nn.functional as F


def median_ms(fn, reps, warmup):
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(reps):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    times.sort()
    return times[len(times) // 2] * 1000.0


def main():
    spec = json.load(open(sys.argv[1]))
    threads = int(sys.argv[2]) if len(sys.argv) > 2 else 2
    layout = sys.argv[3] if len(sys.argv) > 3 else "nchw"
    reps = int(sys.argv[4]) if len(sys.argv) > 4 else 7
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    batch = spec["batch"]
    out = {}
    for c in spec["convs"]:
        x = torch.randn(batch, c["cin"], c["hw"], c["hw"])
        w = torch.randn(c["cout"], c["cin"], c["k"], c["k"]) * 0.05
        if layout == "channels_last":
            x = x.contiguous(memory_format=torch.channels_last)
            w = w.contiguous(memory_format=torch.channels_last)
        conv = lambda t: F.conv2d(t, w, None, c["stride"], c["pad"])
        with torch.no_grad():
            if layout == "mkldnn":
                xm = x.to_mkldnn()
                mod = torch.utils.mkldnn.to_mkldnn(torch.nn.Conv2d(c["cin"], c["cout"], c["k"], c["stride"], c["pad"], bias=False))
                fwd = median_ms(lambda: mod(xm), reps, 2)
            else:
                fwd = median_ms(lambda: conv(x), reps, 2)
        entry = {"fwd_ms": round(fwd, 3)}
        if layout != "mkldnn":
            xg = x.clone().requires_grad_(True)
            wg = w.clone().requires_grad_(True)
            dy = None

            def fwd_bwd():
                nonlocal dy
                y = F.conv2d(xg, wg, None, c["stride"], c["pad"])
                if dy is None:
                    dy = torch.randn_like(y)
                y.backward(dy)
                xg.grad = None
                wg.grad = None

            entry["fwd_bwd_ms"] = round(median_ms(fwd_bwd, reps, 2), 3)
        out[c["name"]] = entry
        print(c["name"], entry, file=sys.stderr, flush=True)
    print(json.dumps(out))


if __name__ == "__main__":
    main()
