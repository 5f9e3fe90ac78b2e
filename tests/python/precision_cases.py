"""Block configurations whose gradients a plain float32 implementation misses against the float64 reference (PyTorch's
float32 misses them too), made by the shared generator with this case list:

    cd ../shared/reference && /usr/bin/python3 gen_vectors.py ../../REPO/tests/testdata/blocks ../../REPO/tests/python/precision_cases.py

- split attention, radix 2, stride 2: the gradient of bn0.weight sums grad x x-hat over every position of a batch
  whose terms nearly cancel;
- embedded-gaussian non-local without logit scaling: sharp softmax rows, whose backward sum sum_j a_j g_j is a
  difference of nearly equal terms.
They pass only because those reductions are accumulated in float64.
"""
CASES = [
    ("precision_splat_r2_s2", "splat", dict(cin=32, radix=2, stride=2), (4, 32, 8, 8)),
    ("precision_splat_r2_s2_wide", "splat", dict(cin=64, radix=2, stride=2), (2, 64, 10, 10)),
    ("precision_nl_unscaled", "nl", dict(channels=32, mode="embedded_gaussian", use_scale=False), (2, 32, 6, 6)),
    ("precision_nl_unscaled_wide", "nl", dict(channels=64, mode="embedded_gaussian", use_scale=False), (2, 64, 7, 7)),
]
