#!/usr/bin/env python3
"""The accuracy recipe of bench/residual-accuracy.js with PyTorch, on the split that script exports (--export DIR):
the residual CNN of bench/torch_peer.py (cnn-residual), 5 epochs, batch 64, Adam 1e-3, cross-entropy, shuffled
each epoch; evaluated in eval mode (batch norm's moving statistics), as Keras evaluates.

Usage: residual_accuracy.py DIR THREADS [SEED]
Prints one JSON line: {"peer": "pytorch", "threads", "seed", "testAccuracy", "trainSeconds"}.
"""
import json
import os
import sys
import time

import numpy as np
import torch
import torch.nn as nn

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from torch_peer import residual_cnn  # noqa: E402


def load(directory, name, dtype):
    return np.fromfile(os.path.join(directory, name), dtype=dtype)


def main():
    directory, threads = sys.argv[1], int(sys.argv[2])
    seed = int(sys.argv[3]) if len(sys.argv) > 3 else 1
    torch.set_num_threads(threads)
    torch.manual_seed(seed)
    x_train = torch.from_numpy(load(directory, 'x_train.f32', '<f4').reshape(-1, 1, 28, 28).copy())
    y_train = torch.from_numpy(load(directory, 'y_train.i32', '<i4').astype(np.int64))
    x_test = torch.from_numpy(load(directory, 'x_test.f32', '<f4').reshape(-1, 1, 28, 28).copy())
    y_test = torch.from_numpy(load(directory, 'y_test.i32', '<i4').astype(np.int64))
    model = residual_cnn()
    opt = torch.optim.Adam(model.parameters(), 1e-3, eps=1e-7)  # Keras' Adam epsilon
    loss_fn = nn.CrossEntropyLoss()
    start = time.perf_counter()
    model.train()
    for _ in range(5):
        order = torch.randperm(len(y_train))
        for i in range(0, len(order), 64):
            idx = order[i:i + 64]
            opt.zero_grad(set_to_none=True)
            loss_fn(model(x_train[idx]), y_train[idx]).backward()
            opt.step()
    seconds = time.perf_counter() - start
    model.eval()
    with torch.no_grad():
        accuracy = (model(x_test).argmax(1) == y_test).float().mean().item()
    print(json.dumps({'peer': 'pytorch', 'version': torch.__version__, 'model': 'cnn-residual', 'threads': threads,
                      'seed': seed,
                      'trainRows': len(y_train), 'testRows': len(y_test), 'epochs': 5,
                      'testAccuracy': round(accuracy, 4), 'trainSeconds': round(seconds, 2)}))


if __name__ == '__main__':
    main()
