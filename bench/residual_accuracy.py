#!/usr/bin/env python3
"""The accuracy recipe of bench/residual-accuracy.js with PyTorch, on what that script exports (--export DIR): the
split, and for the seed backprop's initial weights and epoch orders. The residual CNN of bench/torch_peer.py
(cnn-residual) starts from those weights and takes exactly backprop's batches: 5 epochs, batch 64, Adam 1e-3,
cross-entropy; evaluated in eval mode (batch norm's moving statistics), as Keras evaluates.

Usage: residual_accuracy.py DIR THREADS [SEED [MOMENTUM]]   (MOMENTUM: batch norm's, in Keras' sense; 0.99)
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


def load_initial_weights(model, directory, seed):
    """backprop's initial weights (TF.js order and layouts) into the PyTorch model, checking every shape."""
    manifest = json.load(open(os.path.join(directory, 'init-%d.json' % seed)))
    flat = load(directory, 'init-%d.f32' % seed, '<f4')
    ours, off = [], 0
    for w in manifest:
        n = int(np.prod(w['shape']))
        ours.append((w['name'], flat[off:off + n].reshape(w['shape'])))
        off += n
    assert off == len(flat), 'init file and manifest disagree'
    theirs = []
    for m in model.modules():
        if isinstance(m, nn.Conv2d):
            theirs += [(m.weight, (3, 2, 0, 1)), (m.bias, None)]  # [kh, kw, in, out] -> [out, in, kh, kw]
        elif isinstance(m, nn.BatchNorm2d):
            theirs += [(m.weight, None), (m.bias, None), (m.running_mean, None), (m.running_var, None)]
        elif isinstance(m, nn.Linear):
            theirs += [(m.weight, (1, 0)), (m.bias, None)]  # [in, out] -> [out, in]
    assert len(ours) == len(theirs), 'backprop has %d weight arrays, the PyTorch model %d' % (len(ours), len(theirs))
    with torch.no_grad():
        for (name, value), (tensor, perm) in zip(ours, theirs):
            v = value.transpose(perm) if perm else value
            assert tuple(v.shape) == tuple(tensor.shape), '%s: %s against %s' % (name, v.shape, tuple(tensor.shape))
            tensor.copy_(torch.from_numpy(np.ascontiguousarray(v)))


def main():
    directory, threads = sys.argv[1], int(sys.argv[2])
    seed = int(sys.argv[3]) if len(sys.argv) > 3 else 1
    momentum = float(sys.argv[4]) if len(sys.argv) > 4 else 0.99
    torch.set_num_threads(threads)
    torch.manual_seed(seed)
    x_train = torch.from_numpy(load(directory, 'x_train.f32', '<f4').reshape(-1, 1, 28, 28).copy())
    y_train = torch.from_numpy(load(directory, 'y_train.i32', '<i4').astype(np.int64))
    x_test = torch.from_numpy(load(directory, 'x_test.f32', '<f4').reshape(-1, 1, 28, 28).copy())
    y_test = torch.from_numpy(load(directory, 'y_test.i32', '<i4').astype(np.int64))
    model = residual_cnn(momentum)
    load_initial_weights(model, directory, seed)
    rows = len(y_train)
    orders = torch.from_numpy(load(directory, 'orders-%d.i32' % seed, '<i4').astype(np.int64)).reshape(5, rows)
    opt = torch.optim.Adam(model.parameters(), 1e-3, eps=1e-7)  # Keras' Adam epsilon
    loss_fn = nn.CrossEntropyLoss()
    start = time.perf_counter()
    model.train()
    for epoch in range(5):
        order = orders[epoch]
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
                      'seed': seed, 'momentum': momentum,
                      'trainRows': len(y_train), 'testRows': len(y_test), 'epochs': 5,
                      'testAccuracy': round(accuracy, 4), 'trainSeconds': round(seconds, 2)}))


if __name__ == '__main__':
    main()
