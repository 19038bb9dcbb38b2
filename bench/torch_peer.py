#!/usr/bin/env python3
"""PyTorch training throughput for the networks `backprop bench` measures, so the two can be compared in the
same minute on the same machine (float32, random data, samples/s after warm-up).

Usage: torch_peer.py MODEL BATCH STEPS THREADS
  MODEL: mlp:784-256-128-10:adam | mlp:784-128-10:sgd | cnn-small | cnn-keras | lstm | gru
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


class LastStep(nn.Module):
    """Runs a recurrent layer over [batch, time, features] and keeps the last output (return_sequences=false)."""

    def __init__(self, rnn, units, classes):
        super().__init__()
        self.rnn = rnn
        self.head = nn.Linear(units, classes)

    def forward(self, x):
        out, _ = self.rnn(x)
        return self.head(out[:, -1, :])


def build(name):
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
    if name in ('lstm', 'gru'):  # 50 steps of 32 features → 128 units → 10 classes
        rnn = (nn.LSTM if name == 'lstm' else nn.GRU)(32, 128, batch_first=True)
        return LastStep(rnn, 128, 10), (50, 32), 10, 'adam'
    raise SystemExit(f'unknown model {name!r}')


def main():
    name, batch, steps, threads = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    model, shape, classes, opt_name = build(name)
    opt = torch.optim.Adam(model.parameters(), 1e-3) if opt_name == 'adam' else torch.optim.SGD(model.parameters(), 0.01)
    loss_fn = nn.CrossEntropyLoss()
    x = torch.rand(batch * 4, *shape)
    y = torch.randint(0, classes, (batch * 4,))

    def step(i):
        j = (i % 4) * batch
        opt.zero_grad(set_to_none=True)
        loss_fn(model(x[j:j + batch]), y[j:j + batch]).backward()
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
