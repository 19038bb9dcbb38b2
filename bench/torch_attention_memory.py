#!/usr/bin/env python3
"""Peak memory of one training step (forward + backward) of PyTorch's multi-head attention over [batch, steps, d]
inputs, as bench/attention-memory.js measures backprop's: the growth of the process's peak RSS (ru_maxrss) from
after setup (module and inputs allocated, one tiny warm-up step) to after the step.
Usage: torch_attention_memory.py STEPS D HEADS BATCH module|manual   → one JSON line."""
import json
import resource
import sys

import torch

sys.path.insert(0, __file__.rsplit('/', 1)[0])
from torch_peer import CausalSelfAttention, ModuleAttention  # noqa: E402

steps, d, heads, batch, impl = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), sys.argv[5]
torch.set_num_threads(1)
torch.manual_seed(0)
layer = (ModuleAttention if impl == 'module' else CausalSelfAttention)(d, heads, False)
x = torch.rand(batch, steps, d, requires_grad=True)
small = torch.rand(1, 8, d, requires_grad=True)
layer(small).sum().backward()  # warm-up: lazily loaded kernels, allocator
peak = lambda: resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
before = peak()
layer(x).sum().backward()
after = peak()
print(json.dumps({'peer': 'pytorch', 'version': torch.__version__, 'impl': impl, 'steps': steps, 'd': d,
                  'heads': heads, 'batch': batch, 'stepPeakBytes': after - before, 'rssBefore': before}))
