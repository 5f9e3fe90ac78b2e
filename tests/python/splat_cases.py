"""More split-attention vectors, made by the shared generator with this case list:

    cd ../shared/reference && /usr/bin/python3 gen_vectors.py ../../REPO/tests/testdata/blocks ../../REPO/tests/python/splat_cases.py

They cover what the shared vectors leave out: cardinality, stride, a 5x5 kernel, radix 4, the divisor, radix 1 with
groups, and an even kernel (padded by k // 2, so the map grows by one) with its own output width.
"""
CASES = [
    ("splat_g2_s2", "splat", dict(cin=32, cout=48, groups=2, radix=2, stride=2), (4, 32, 8, 8)),
    ("splat_r4_k5", "splat", dict(cin=16, radix=4, kernel_size=5, rd_ratio=0.75, rd_divisor=16), (2, 16, 6, 6), "eval"),
    ("splat_r1_g4", "splat", dict(cin=32, radix=1, groups=4), (3, 32, 5, 5)),
    ("splat_k2_cout", "splat", dict(cin=16, cout=24, kernel_size=2), (2, 16, 5, 5), "eval"),
]
