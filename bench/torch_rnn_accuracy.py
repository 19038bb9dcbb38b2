#!/usr/bin/env python3
"""Row-by-row MNIST with PyTorch, the same recipe as bench/rnn-accuracy.js on the same data (the split that
script exports with --export DIR): LSTM(128) over 28 steps of 28 pixels -> linear 10, 5 epochs, batch 64,
Adam 1e-3, float32. Prints one JSON line (test accuracy, training seconds).

Usage: torch_rnn_accuracy.py DIR THREADS [EPOCHS]
"""
import json
import sys
import time

import numpy as np
import torch
import torch.nn as nn


class RowLstm(nn.Module):
    def __init__(self):
        super().__init__()
        self.rnn = nn.LSTM(28, 128, batch_first=True)
        self.head = nn.Linear(128, 10)

    def forward(self, x):
        out, _ = self.rnn(x)
        return self.head(out[:, -1, :])


def load(d, name):
    x = np.fromfile(f'{d}/{name}-x.f32', dtype=np.float32).reshape(-1, 28, 28)
    y = np.fromfile(f'{d}/{name}-y.i32', dtype=np.int32).astype(np.int64)
    return torch.from_numpy(x), torch.from_numpy(y)


def main():
    d, threads = sys.argv[1], int(sys.argv[2])
    epochs = int(sys.argv[3]) if len(sys.argv) > 3 else 5
    torch.set_num_threads(threads)
    torch.manual_seed(1)
    xtr, ytr = load(d, 'train')
    xte, yte = load(d, 'test')
    model = RowLstm()
    opt = torch.optim.Adam(model.parameters(), 1e-3)
    loss_fn = nn.CrossEntropyLoss()
    t = time.perf_counter()
    for _ in range(epochs):
        order = torch.randperm(len(xtr))
        for i in range(0, len(xtr), 64):
            idx = order[i:i + 64]
            opt.zero_grad(set_to_none=True)
            loss_fn(model(xtr[idx]), ytr[idx]).backward()
            opt.step()
    seconds = time.perf_counter() - t
    with torch.no_grad():
        acc = (model(xte).argmax(1) == yte).float().mean().item()
    print(json.dumps({'peer': 'pytorch', 'version': torch.__version__, 'threads': threads, 'epochs': epochs,
                      'trainSeconds': round(seconds, 2), 'testAccuracy': round(acc, 4)}))


if __name__ == '__main__':
    main()
