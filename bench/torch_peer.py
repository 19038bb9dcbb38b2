#!/usr/bin/env python3
"""PyTorch training throughput for the networks `backprop bench` measures, so the two can be compared in the
same minute on the same machine (float32, random data, samples/s after warm-up).

Usage: torch_peer.py MODEL BATCH STEPS THREADS
  MODEL: mlp:784-256-128-10:adam | mlp:784-128-10:sgd | cnn-small | cnn-keras | cnn-residual | lstm | gru |
         gpt | gpt-manual | mha | mha-manual (see transformers below)
Prints one JSON line: {"peer": "pytorch", "model": ..., "threads": ..., "samplesPerSecond": ..., "msPerStep": ...}
"""
import json
import sys
import time

import torch
import torch.nn as nn


def mlp(spec):
    sizes = [int(s) for s in spec.split('-')]
    layers = []
    for i in range(1, len(sizes)):
        layers.append(nn.Linear(sizes[i - 1], sizes[i]))
        if i < len(sizes) - 1:
            layers.append(nn.ReLU())
    return nn.Sequential(*layers), (sizes[0],), sizes[-1]


class ResidualBlock(nn.Module):
    """conv 3x3 same -> batch norm -> relu -> conv 3x3 same -> batch norm -> + input -> relu."""

    def __init__(self, c, momentum=0.99):
        super().__init__()
        # Keras' BatchNormalization(momentum, epsilon=1e-3): torch's momentum weighs the new batch.
        self.c1, self.b1 = nn.Conv2d(c, c, 3, padding=1), nn.BatchNorm2d(c, eps=1e-3, momentum=1 - momentum)
        self.c2, self.b2 = nn.Conv2d(c, c, 3, padding=1), nn.BatchNorm2d(c, eps=1e-3, momentum=1 - momentum)

    def forward(self, x):
        h = torch.relu(self.b1(self.c1(x)))
        return torch.relu(self.b2(self.c2(h)) + x)


def residual_cnn(momentum=0.99):
    """src/bench/residual-cnn.ts: conv 32@3x3 same relu, 3 residual blocks, global average pooling, dense 10 (the
    softmax is in the cross-entropy). Keras' initializers: glorot-uniform kernels, zero biases; `momentum` is batch
    norm's in Keras' sense."""
    model = nn.Sequential(nn.Conv2d(1, 32, 3, padding=1), nn.ReLU(), *[ResidualBlock(32, momentum) for _ in range(3)],
                          nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(32, 10))
    for m in model.modules():
        if isinstance(m, (nn.Conv2d, nn.Linear)):
            nn.init.xavier_uniform_(m.weight)
            nn.init.zeros_(m.bias)
    return model


class LastStep(nn.Module):
    """Runs a recurrent layer over [batch, time, features] and keeps the last output (return_sequences=false)."""

    def __init__(self, rnn, units, classes):
        super().__init__()
        self.rnn = rnn
        self.head = nn.Linear(units, classes)

    def forward(self, x):
        out, _ = self.rnn(x)
        return self.head(out[:, -1, :])


class CausalSelfAttention(nn.Module):
    """Multi-head self-attention written with matmul + softmax (no nn.MultiheadAttention), causal or not."""

    def __init__(self, d, heads, causal):
        super().__init__()
        self.heads, self.causal = heads, causal
        self.qkv = nn.Linear(d, 3 * d)
        self.out = nn.Linear(d, d)

    def forward(self, x):
        b, t, d = x.shape
        q, k, v = self.qkv(x).view(b, t, 3, self.heads, d // self.heads).permute(2, 0, 3, 1, 4)
        s = (q @ k.transpose(-2, -1)) * (d // self.heads) ** -0.5
        if self.causal:
            s = s.masked_fill(torch.triu(torch.ones(t, t, dtype=torch.bool), 1), float('-inf'))
        return self.out((s.softmax(-1) @ v).transpose(1, 2).reshape(b, t, d))


class ModuleAttention(nn.Module):
    """nn.MultiheadAttention (PyTorch's module: fused in-projection, its own kernels), causal or not."""

    def __init__(self, d, heads, causal):
        super().__init__()
        self.attn = nn.MultiheadAttention(d, heads, batch_first=True)
        self.causal = causal

    def forward(self, x):
        t = x.shape[1]
        mask = torch.triu(torch.ones(t, t, dtype=torch.bool), 1) if self.causal else None
        return self.attn(x, x, x, attn_mask=mask, need_weights=False)[0]


class Block(nn.Module):
    """KerasNLP's TransformerDecoder, pre-norm (normalize_first), relu feed-forward, no dropout."""

    def __init__(self, d, heads, inner, attention):
        super().__init__()
        self.ln1, self.ln2 = nn.LayerNorm(d, eps=1e-5), nn.LayerNorm(d, eps=1e-5)
        self.attn = attention(d, heads, True)
        self.ff = nn.Sequential(nn.Linear(d, inner), nn.ReLU(), nn.Linear(inner, d))

    def forward(self, x):
        x = x + self.attn(self.ln1(x))
        return x + self.ff(self.ln2(x))


class Gpt(nn.Module):
    """examples/gpt.js: token + position embedding, 4 pre-norm decoder blocks (d 128, 4 heads, 512), layer norm,
    logits over the vocabulary at every position."""

    def __init__(self, vocab, steps, attention, d=128, heads=4, inner=512, blocks=4):
        super().__init__()
        self.tok, self.pos = nn.Embedding(vocab, d), nn.Parameter(torch.zeros(steps, d))
        nn.init.uniform_(self.tok.weight, -0.05, 0.05)
        nn.init.uniform_(self.pos, -0.05, 0.05)
        self.blocks = nn.Sequential(*[Block(d, heads, inner, attention) for _ in range(blocks)])
        self.ln, self.head = nn.LayerNorm(d, eps=1e-5), nn.Linear(d, vocab)

    def forward(self, ids):
        return self.head(self.ln(self.blocks(self.tok(ids) + self.pos)))


# transformers: the GPT training step of `backprop bench` (vocab 40, context 64, AdamW) and multi-head attention
# alone (T 256, d 256, 8 heads, forward + backward of a sum of its outputs), each with PyTorch's module and with
# hand-written matmul + softmax attention; the reference is the faster of the two.
GPT_VOCAB, GPT_STEPS = 40, 64
MHA_STEPS, MHA_D, MHA_HEADS = 256, 256, 8


def build(name):
    if name in ('gpt', 'gpt-manual'):
        return Gpt(GPT_VOCAB, GPT_STEPS, CausalSelfAttention if name == 'gpt-manual' else ModuleAttention), \
            (GPT_STEPS,), GPT_VOCAB, 'adamw'
    if name in ('mha', 'mha-manual'):
        attention = CausalSelfAttention if name == 'mha-manual' else ModuleAttention
        return attention(MHA_D, MHA_HEADS, False), (MHA_STEPS, MHA_D), None, 'none'

    if name.startswith('mlp:'):
        _, spec, opt = name.split(':')
        model, shape, classes = mlp(spec)
        return model, shape, classes, opt
    if name == 'cnn-small':  # the tfjs-examples MNIST CNN
        model = nn.Sequential(nn.Conv2d(1, 8, 5), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(8, 16, 5), nn.ReLU(),
                              nn.MaxPool2d(2), nn.Flatten(), nn.Linear(256, 10))
        return model, (1, 28, 28), 10, 'adam'
    if name == 'cnn-keras':  # the Keras MNIST CNN
        model = nn.Sequential(nn.Conv2d(1, 32, 3), nn.ReLU(), nn.Conv2d(32, 64, 3), nn.ReLU(), nn.MaxPool2d(2),
                              nn.Flatten(), nn.Linear(9216, 128), nn.ReLU(), nn.Linear(128, 10))
        return model, (1, 28, 28), 10, 'adam'
    if name == 'cnn-residual':
        return residual_cnn(), (1, 28, 28), 10, 'adam'
    if name in ('lstm', 'gru'):  # 50 steps of 32 features → 128 units → 10 classes
        rnn = (nn.LSTM if name == 'lstm' else nn.GRU)(32, 128, batch_first=True)
        return LastStep(rnn, 128, 10), (50, 32), 10, 'adam'
    raise SystemExit(f'unknown model {name!r}')


def main():
    name, batch, steps, threads = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    model, shape, classes, opt_name = build(name)
    if opt_name == 'adam':
        opt = torch.optim.Adam(model.parameters(), 1e-3)
    elif opt_name == 'adamw':
        opt = torch.optim.AdamW(model.parameters(), 1e-3, weight_decay=0.004, eps=1e-7)
    elif opt_name == 'sgd':
        opt = torch.optim.SGD(model.parameters(), 0.01)
    else:
        opt = None
    loss_fn = nn.CrossEntropyLoss()
    if name.startswith('gpt'):
        # Token ids in, the next token at every position out.
        x = torch.randint(0, classes, (batch * 4, *shape))
        y = torch.randint(0, classes, (batch * 4, *shape))
        loss_of = lambda out, target: loss_fn(out.reshape(-1, classes), target.reshape(-1))
    elif classes is None:
        x = torch.rand(batch * 4, *shape, requires_grad=True)
        y = None
        loss_of = lambda out, target: out.sum()
    else:
        x = torch.rand(batch * 4, *shape)
        y = torch.randint(0, classes, (batch * 4,))
        loss_of = loss_fn

    def step(i):
        j = (i % 4) * batch
        if opt:
            opt.zero_grad(set_to_none=True)
        else:
            model.zero_grad(set_to_none=True)
        loss_of(model(x[j:j + batch]), None if y is None else y[j:j + batch]).backward()
        if opt:
            opt.step()

    for i in range(5):
        step(i)
    t = time.perf_counter()
    for i in range(steps):
        step(i)
    dt = time.perf_counter() - t
    print(json.dumps({'peer': 'pytorch', 'version': torch.__version__, 'model': name, 'batch': batch,
                      'threads': threads, 'samplesPerSecond': round(steps * batch / dt),
                      'msPerStep': round(dt / steps * 1e3, 3)}))


if __name__ == '__main__':
    main()
