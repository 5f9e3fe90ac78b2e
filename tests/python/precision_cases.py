"""Ill-conditioned block vectors (issue 11, "Tiers and exactness"), made by the shared generator with this case list:

    cd ../shared/reference && /usr/bin/python3 gen_vectors.py ../../REPO/tests/testdata/blocks ../../REPO/tests/python/precision_cases.py

The generator seeds case i with 1000 + i, so append new cases at the end. Its weights are N(0, 0.3^2), far larger
than a trained block's, which makes these blocks sharp:
- split-attention radix 2 with stride 2: the BatchNorm weight and bias gradients are sums over every position of
  terms that cancel, so they must be summed in float64;
- embedded gaussian without the 1/sqrt(inner) scale, and gaussian: the logits reach 30-150, the softmax is nearly
  one-hot, and float32 misses the float64 result by 1.3-30x the tolerance (the block then runs in float64);
- embedded gaussian with the scale but 128 channels, and split attention radix 4 with stride 2;
- global context and simplified non-local attention pooling with the same large weights: their logits are now
  summed in float64 (snl_sharp missed its conv_attn weight gradient by 1.55x before).
Cases 0-7 are the held-out-like ones of issue 11; selective kernel vectors come from gen_sk_vector.py instead.
"""
CASES = [
    ("splat_r2_s2_a", "splat", dict(cin=32, radix=2, stride=2), (4, 32, 8, 8)),
    ("splat_r2_s2_b", "splat", dict(cin=64, radix=2, stride=2), (4, 64, 12, 12)),
    ("splat_r2_s2_c", "splat", dict(cin=32, cout=64, radix=2, stride=2), (8, 32, 16, 16)),
    ("splat_r2_s2_d", "splat", dict(cin=16, radix=2, stride=2, groups=2), (6, 16, 10, 10)),
    ("nl_eg_noscale_a", "nl", dict(channels=32, mode="embedded_gaussian", use_scale=False), (2, 32, 8, 8)),
    ("nl_eg_noscale_b", "nl", dict(channels=64, mode="embedded_gaussian", use_scale=False), (2, 64, 10, 10)),
    ("nl_eg_noscale_c", "nl", dict(channels=32, mode="embedded_gaussian", use_scale=False, sub_sample=True), (2, 32, 12, 12)),
    ("nl_eg_noscale_d", "nl", dict(channels=16, mode="embedded_gaussian", use_scale=False), (4, 16, 14, 14)),
    ("nl_eg_noscale_e", "nl", dict(channels=48, mode="embedded_gaussian", use_scale=False, sub_sample=True), (3, 48, 9, 7)),
    ("nl_eg_noscale_f", "nl", dict(channels=32, mode="embedded_gaussian", use_scale=False, reduction=4), (2, 32, 7, 7)),
    ("nl_gaussian_sharp", "nl", dict(channels=32, mode="gaussian"), (2, 32, 7, 6)),
    ("nl_eg_scaled_wide", "nl", dict(channels=128, mode="embedded_gaussian"), (2, 128, 6, 6)),
    ("gc_att_sharp_a", "gc", dict(channels=64, fuse_add=True, fuse_scale=False, rd_ratio=1/16), (4, 64, 16, 16)),
    ("gc_att_sharp_b", "gc", dict(channels=128, fuse_add=False, fuse_scale=True, rd_ratio=1/8), (2, 128, 12, 12)),
    ("splat_r4_s2_sharp", "splat", dict(cin=32, radix=4, stride=2), (6, 32, 12, 12)),
    ("snl_sharp", "snl", dict(channels=64), (4, 64, 12, 12)),
]
