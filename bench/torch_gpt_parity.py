#!/usr/bin/env python3
"""PyTorch's side of bench/gpt-loss-parity.js: reads (JSON on stdin) the GPT's initial weights under their Keras
names and the batches, copies the weights into torch_peer.py's Gpt (matmul + softmax attention), trains with the
same recipe (AdamW lr 1e-3, betas 0.9/0.999, eps 1e-7, weight decay 0.004, mean cross-entropy over every
position) and prints the loss of every step as JSON."""
import json
import sys

import torch

sys.path.insert(0, __file__.rsplit('/', 1)[0])
from torch_peer import CausalSelfAttention, Gpt  # noqa: E402

case = json.load(sys.stdin)
torch.set_num_threads(int(case.get('threads', 1)))
V, T, d = case['vocabulary'], case['steps'], case['d']
w = {k: torch.tensor(v['data'], dtype=torch.float32).reshape(v['shape']) for k, v in case['weights'].items()}
model = Gpt(V, T, CausalSelfAttention, d=d, heads=case['heads'], inner=case['inner'], blocks=case['blocks'])
names = case['names']
with torch.no_grad():
    model.tok.weight.copy_(w[f"{names['embedding']}/token_embedding/embeddings"])
    model.pos.copy_(w[f"{names['embedding']}/position_embedding/embeddings"][:T])
    for block, n in zip(model.blocks, names['blocks']):
        a = f'{n}/self_attention/'
        block.attn.qkv.weight.copy_(torch.cat([w[a + p + '/kernel'].reshape(d, -1).t() for p in ('query', 'key', 'value')]))
        block.attn.qkv.bias.copy_(torch.cat([w[a + p + '/bias'].reshape(-1) for p in ('query', 'key', 'value')]))
        block.attn.out.weight.copy_(w[a + 'attention_output/kernel'].reshape(-1, d).t())
        block.attn.out.bias.copy_(w[a + 'attention_output/bias'])
        for ln, key in ((block.ln1, 'self_attention_layer_norm'), (block.ln2, 'feedforward_layer_norm')):
            ln.weight.copy_(w[f'{n}/{key}/gamma'])
            ln.bias.copy_(w[f'{n}/{key}/beta'])
        for lin, key in ((block.ff[0], 'feedforward_intermediate_dense'), (block.ff[2], 'feedforward_output_dense')):
            lin.weight.copy_(w[f'{n}/{key}/kernel'].t())
            lin.bias.copy_(w[f'{n}/{key}/bias'])
    model.ln.weight.copy_(w[f"{names['norm']}/gamma"])
    model.ln.bias.copy_(w[f"{names['norm']}/beta"])
    model.head.weight.copy_(w[f"{names['head']}/kernel"].t())
    model.head.bias.copy_(w[f"{names['head']}/bias"])
opt = torch.optim.AdamW(model.parameters(), 1e-3, betas=(0.9, 0.999), eps=1e-7, weight_decay=0.004)
loss_fn = torch.nn.CrossEntropyLoss()
losses = []
for xb, yb in zip(case['x'], case['y']):
    x = torch.tensor(xb, dtype=torch.long).reshape(-1, T)
    y = torch.tensor(yb, dtype=torch.long).reshape(-1)
    opt.zero_grad(set_to_none=True)
    loss = loss_fn(model(x).reshape(-1, V), y)
    loss.backward()
    opt.step()
    losses.append(loss.item())
json.dump(losses, sys.stdout)
