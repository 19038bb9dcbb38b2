#!/usr/bin/env python3
"""PyTorch's cost for the layers bench/graph-layers.js measures: one layer's forward, then backward with the input
gradient and the weight gradients (float32, the median of repeated samples after warm-up).

Usage: torch_graph_layers.py CASE_JSON THREADS
  CASE_JSON: a case of bench/graph-layers-cases.js as JSON ({"kind", "batch", "input": [h, w, c], "args"})
Prints one JSON line: {"peer": "pytorch", "threads": ..., "msPerStep": ...}
"""
import json
import sys
import time

import torch
import torch.nn as nn


def same_pad(k, s):
    """TF 'same' for a stride-s transposed convolution of a kernel k: max(k - s, 0) cropped, the smaller half before."""
    total = max(k - s, 0)
    return total // 2, total - total // 2


def build(spec):
    h, w, c = spec['input']
    a = spec['args']
    k, s = a['kernelSize'], a.get('strides', 1)
    f = a['filters']
    if spec['kind'] == 'transpose':
        # PyTorch crops a transposed convolution's output symmetrically (output_padding adds rows after); TF crops
        # the smaller half before. The sizes and the cost are the same, which is what is measured here.
        pad = same_pad(k, s)[1] if a.get('padding') == 'same' else 0
        out_pad = s * h - ((h - 1) * s - 2 * pad + k) if a.get('padding') == 'same' else 0
        return nn.ConvTranspose2d(c, f, k, stride=s, padding=pad, output_padding=out_pad), (c, h, w)
    pad = k // 2
    depthwise = nn.Conv2d(c, c, k, stride=s, padding=pad, groups=c, bias=False)
    return nn.Sequential(depthwise, nn.Conv2d(c, f, 1)), (c, h, w)


def main():
    spec, threads = json.loads(sys.argv[1]), int(sys.argv[2])
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    layer, shape = build(spec)
    x = torch.rand(spec['batch'], *shape, requires_grad=True)
    with torch.no_grad():
        dy = torch.rand_like(layer(x))

    def step():
        x.grad = None
        layer.zero_grad(set_to_none=True)
        layer(x).backward(dy)

    for _ in range(3):
        step()
    reps = 1
    while True:
        t = time.perf_counter()
        for _ in range(reps):
            step()
        if time.perf_counter() - t > 0.2:
            break
        reps *= 2
    samples = []
    for _ in range(5):
        t = time.perf_counter()
        for _ in range(reps):
            step()
        samples.append((time.perf_counter() - t) / reps * 1e3)
    samples.sort()
    print(json.dumps({'peer': 'pytorch', 'threads': threads, 'msPerStep': round(samples[2], 3)}))


main()
